// The dense layers as GEMMs on the tiled kernel of gemm.cuh, plus the bias gradient.
#include "backend/cuda/gemm.cuh"
#include "backend/cuda/kernels.h"

namespace layerprune::cuda {
namespace {

// A (M,K) row-major: A(m,k) = p[m*ld + k].
struct RowMajorA {
  static constexpr bool kKFastest = true;
  const float* p;
  int64_t ld;
  __host__ __device__ float operator()(int m, int k) const { return p[int64_t(m) * ld + k]; }
};
// A stored transposed, (K,M) row-major: A(m,k) = p[k*ld + m].
struct TransposedA {
  static constexpr bool kKFastest = false;
  const float* p;
  int64_t ld;
  __host__ __device__ float operator()(int m, int k) const { return p[int64_t(k) * ld + m]; }
};
// B (K,N) row-major: B(k,n) = p[k*ld + n].
struct RowMajorB {
  static constexpr bool kKFastest = false;
  const float* p;
  int64_t ld;
  __host__ __device__ float operator()(int k, int n) const { return p[int64_t(k) * ld + n]; }
};
// B stored transposed, (N,K) row-major: B(k,n) = p[n*ld + k].
struct TransposedB {
  static constexpr bool kKFastest = true;
  const float* p;
  int64_t ld;
  __host__ __device__ float operator()(int k, int n) const { return p[int64_t(n) * ld + k]; }
};

// db[n] = sum over m of dY[m*N + n], rows added in order (one thread per column).
__global__ void column_sums(const float* dY, float* db, int M, int N) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  if (n >= N) return;
  float acc = 0.f;
  for (int m = 0; m < M; ++m) acc += dY[int64_t(m) * N + n];
  db[n] = acc;
}

Epilogue plain(float* C, int64_t ldc, bool accumulate = false) { return {C, ldc, nullptr, false, accumulate}; }

}  // namespace

void linear_forward(cudaStream_t s, DeviceScratch& ws, const float* X, const float* W, const float* b, float* Y,
                    int64_t M, int64_t N, int64_t K, bool relu) {
  // Y (M,N) = X (M,K) W^T, W stored (N,K).
  gemm(s, ws, int(M), int(N), int(K), RowMajorA{X, K}, TransposedB{W, K}, Epilogue{Y, N, b, relu, false},
       "linear_forward");
}

void linear_backward_data(cudaStream_t s, DeviceScratch& ws, const float* dY, const float* W, float* dX, int64_t M,
                          int64_t N, int64_t K, bool accumulate) {
  // dX (M,K) = dY (M,N) W (N,K).
  gemm(s, ws, int(M), int(K), int(N), RowMajorA{dY, N}, RowMajorB{W, K}, plain(dX, K, accumulate),
       "linear_backward_data");
}

void linear_backward_weights(cudaStream_t s, DeviceScratch& ws, const float* dY, const float* X, float* dW,
                             float* db, int64_t M, int64_t N, int64_t K) {
  // dW (N,K) = dY^T X: A(n,m) = dY[m*N + n], B(m,k) = X[m*K + k].
  gemm(s, ws, int(N), int(K), int(M), TransposedA{dY, N}, RowMajorB{X, K}, plain(dW, K), "linear_backward_weights");
  if (db && N > 0) {
    column_sums<<<unsigned((N + 127) / 128), 128, 0, s>>>(dY, db, int(M), int(N));
    check_launch("column_sums");
  }
}

void gemm_nn(cudaStream_t s, DeviceScratch& ws, const float* A, const float* B, float* C, int64_t M, int64_t N,
             int64_t K) {
  gemm(s, ws, int(M), int(N), int(K), RowMajorA{A, K}, RowMajorB{B, N}, plain(C, N), "gemm_nn");
}

}  // namespace layerprune::cuda
