// The one matrix-product kernel behind every dense layer and every convolution:
// C (M,N) = A (M,K) B (K,N) with A and B read through loader functors, so a dense
// layer (plain or transposed row-major matrices) and a convolution (an implicit
// im2col gather: no unfolded copy in memory) share the same tiled kernel.
//
// Tiling: a 4096-output tile per block of 256 threads (64x64, or 128x32 ... 16x256,
// whichever pads the output least), 16-deep K slices staged in shared memory, each
// thread accumulating a 4x4 register block in FP32. Loads are bounds-checked, so any
// M, N, K works.
//
// Split-K: when the output has too few tiles to fill the GPU (convolution weight
// gradients: 16x144 outputs summed over 131072 positions), blockIdx.z takes one slice
// of K and writes raw partial sums; a second kernel adds the slices in a fixed order
// and applies the epilogue. No atomics: the same shapes give the same bits every run.
#pragma once
#include <algorithm>
#include <cstdint>

#include <cuda_runtime.h>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_scratch.h"

namespace layerprune::cuda {

constexpr int kTileK = 16, kGemmThreads = 256;

// What happens to a finished sum: C[m*ldc+n] = (accumulate ? C : 0) + sum + bias[n], ReLU.
struct Epilogue {
  float* C;
  int64_t ldc;
  const float* bias;  // may be null
  bool relu;
  bool accumulate;
  __device__ void store(int m, int n, float sum) const {
    const int64_t i = int64_t(m) * ldc + n;
    float v = sum;
    if (accumulate) v += C[i];
    if (bias) v += bias[n];
    if (relu) v = v > 0.f ? v : 0.f;
    C[i] = v;
  }
};

// Loader contract: operator()(row, col) returns the element for in-range indices;
// kKFastest says consecutive K indices are adjacent in memory (so threads of a warp
// should walk K), else consecutive M (for A) or N (for B) are.
//
// Block tile BM x BN with BM * BN = 4096: 256 threads, each owning a 4x4 register block
// at rows ty + (BM/4) i and columns tx + (BN/4) j. Narrow outputs (a 16-channel
// convolution, N = 16) use 256x16 tiles instead of wasting 3/4 of a 64x64 one.
template <int BM, int BN, typename LoadA, typename LoadB>
__global__ void __launch_bounds__(kGemmThreads)
gemm_kernel(int M, int N, int K, int k_chunk, LoadA load_a, LoadB load_b, Epilogue epi, float* partial) {
  static_assert(BM * BN == 16 * kGemmThreads, "a 4x4 block per thread");
  constexpr int kThreadsN = BN / 4, kThreadsM = BM / 4;
  __shared__ float As[kTileK][BM + 1];
  __shared__ float Bs[kTileK][BN + 1];
  const int tid = threadIdx.x, tx = tid % kThreadsN, ty = tid / kThreadsN;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int k_begin = blockIdx.z * k_chunk;
  const int k_end = min(K, k_begin + k_chunk);
  float acc[4][4] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
#pragma unroll
    for (int i = 0; i < BM * kTileK / kGemmThreads; ++i) {
      const int e = tid + i * kGemmThreads;  // 0 .. BM*16-1
      int kk, mm;
      if (LoadA::kKFastest) kk = e % kTileK, mm = e / kTileK;
      else mm = e % BM, kk = e / BM;
      const int m = m0 + mm, k = k0 + kk;
      As[kk][mm] = (m < M && k < k_end) ? load_a(m, k) : 0.f;
    }
#pragma unroll
    for (int i = 0; i < BN * kTileK / kGemmThreads; ++i) {
      const int e = tid + i * kGemmThreads;  // 0 .. BN*16-1
      int kk, nn;
      if (LoadB::kKFastest) kk = e % kTileK, nn = e / kTileK;
      else nn = e % BN, kk = e / BN;
      const int n = n0 + nn, k = k0 + kk;
      Bs[kk][nn] = (n < N && k < k_end) ? load_b(k, n) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + kThreadsM * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + kThreadsN * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();
  }
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int m = m0 + ty + kThreadsM * i, n = n0 + tx + kThreadsN * j;
      if (m >= M || n >= N) continue;
      if (partial) partial[(int64_t(blockIdx.z) * M + m) * N + n] = acc[i][j];
      else epi.store(m, n, acc[i][j]);
    }
}

// Adds the split-K slices in slice order and applies the epilogue. (static: each file
// that launches GEMMs gets its own copy, so no relocatable device code is needed.)
static __global__ void gemm_reduce_splits(int M, int N, int splits, const float* partial, Epilogue epi) {
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int64_t outputs = int64_t(M) * N;
  if (i >= outputs) return;
  float sum = 0.f;
  for (int z = 0; z < splits; ++z) sum += partial[int64_t(z) * outputs + i];
  epi.store(int(i / N), int(i % N), sum);
}

// The tile shapes, in order of preference on ties.
constexpr int kTileShapes[5][2] = {{64, 64}, {128, 32}, {32, 128}, {256, 16}, {16, 256}};

// The tile shape that pads the output least (a 16-wide output gets 256x16 tiles).
inline int gemm_tile_shape(int M, int N) {
  int best = 0;
  int64_t best_area = -1;
  for (int t = 0; t < 5; ++t) {
    const int bm = kTileShapes[t][0], bn = kTileShapes[t][1];
    const int64_t area = int64_t((M + bm - 1) / bm) * bm * int64_t((N + bn - 1) / bn) * bn;
    if (best_area < 0 || area < best_area) best = t, best_area = area;
  }
  return best;
}

// How many K slices: enough blocks for ~2 waves on a 132-SM H100, each slice at least
// 512 deep so the partial sums stay a small share of the traffic. Depends only on the
// shape, so results are reproducible.
inline int gemm_splits(int tiles, int K) {
  if (tiles >= 264) return 1;
  const int want = (264 + tiles - 1) / tiles;
  return std::max(1, std::min(want, K / 512));
}

template <int BM, int BN, typename LoadA, typename LoadB>
void gemm_with_tile(cudaStream_t stream, DeviceScratch& scratch, int M, int N, int K, LoadA a, LoadB b,
                    Epilogue epi, const char* what) {
  const int tiles = ((M + BM - 1) / BM) * ((N + BN - 1) / BN);
  const int splits = K > 0 ? gemm_splits(tiles, K) : 1;
  // Slice length: a multiple of the K tile so slices never share a tile.
  const int k_chunk = splits == 1 ? std::max(K, 1) : ((K + splits - 1) / splits + kTileK - 1) / kTileK * kTileK;
  const int used = K > 0 ? (K + k_chunk - 1) / k_chunk : 1;
  const dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM, used);
  if (grid.y > 65535) fail("could not run ", what, " because its ", M, " rows exceed the GEMM grid (65535 tiles)");
  if (used == 1) {
    gemm_kernel<BM, BN><<<grid, kGemmThreads, 0, stream>>>(M, N, K, k_chunk, a, b, epi, nullptr);
    check_launch(what);
    return;
  }
  float* partial = scratch.get<float>(size_t(used) * M * N);
  gemm_kernel<BM, BN><<<grid, kGemmThreads, 0, stream>>>(M, N, K, k_chunk, a, b, epi, partial);
  check_launch(what);
  const int64_t outputs = int64_t(M) * N;
  gemm_reduce_splits<<<unsigned((outputs + 255) / 256), 256, 0, stream>>>(M, N, used, partial, epi);
  check_launch("gemm_reduce_splits");
}

// C (M,N) = A (M,K) B (K,N) through the loaders, then the epilogue; any sizes >= 0.
template <typename LoadA, typename LoadB>
void gemm(cudaStream_t stream, DeviceScratch& scratch, int M, int N, int K, LoadA a, LoadB b, Epilogue epi,
          const char* what) {
  if (M <= 0 || N <= 0) return;
  switch (gemm_tile_shape(M, N)) {
    case 0: return gemm_with_tile<64, 64>(stream, scratch, M, N, K, a, b, epi, what);
    case 1: return gemm_with_tile<128, 32>(stream, scratch, M, N, K, a, b, epi, what);
    case 2: return gemm_with_tile<32, 128>(stream, scratch, M, N, K, a, b, epi, what);
    case 3: return gemm_with_tile<256, 16>(stream, scratch, M, N, K, a, b, epi, what);
    default: return gemm_with_tile<16, 256>(stream, scratch, M, N, K, a, b, epi, what);
  }
}

}  // namespace layerprune::cuda
