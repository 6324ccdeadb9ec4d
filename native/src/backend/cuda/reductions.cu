// Reductions to one double: dot products (sum_squares is dot(x, x)) and the softmax
// cross-entropy. Two stages with fixed shapes: per-block partial sums in double with a
// fixed tree, then one block adds the partials in a fixed order. No atomics, so the
// same input gives the same bits on every run.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.h"

namespace layerprune::cuda {
namespace {

constexpr int kMaxPartials = 1024;

// Tree sum of one value per thread (blockDim.x == kThreads); thread 0 gets the total.
__device__ double block_sum(double v) {
  __shared__ double shared[kThreads];
  shared[threadIdx.x] = v;
  __syncthreads();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (threadIdx.x < stride) shared[threadIdx.x] += shared[threadIdx.x + stride];
    __syncthreads();
  }
  const double total = shared[0];
  __syncthreads();  // shared may be reused by a second call
  return total;
}

__global__ void dot_partials(const float* x, const float* y, int64_t n, double* partial) {
  double acc = 0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    acc += double(x[i]) * double(y[i]);
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

__global__ void decayed_sum_squares_partials(const float* g, const float* w, float decay, int64_t n, double* partial) {
  double acc = 0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float d = g[i] + decay * w[i];
    acc += double(d) * double(d);
  }
  const double total = block_sum(acc);
  if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

int partial_blocks(int64_t n) {
  return int(std::max<int64_t>(1, std::min<int64_t>((n + kThreads - 1) / kThreads, kMaxPartials)));
}

// out[j] = sum over i of values[j * count + i], for j < columns (one block).
__global__ void sum_columns(const double* values, int64_t count, int columns, double* out) {
  for (int j = 0; j < columns; ++j) {
    double acc = 0;
    for (int64_t i = threadIdx.x; i < count; i += blockDim.x) acc += values[j * count + i];
    const double total = block_sum(acc);
    if (threadIdx.x == 0) out[j] = total;
  }
}

// One thread per row: the row's loss into rows[m], the hit (arg-max == label) into
// rows[M + m], and dlogits = (softmax - onehot) / M when requested.
__global__ void softmax_rows(const float* logits, const int32_t* labels, int64_t M, int64_t C, float* dlogits,
                             double* rows) {
  for (int64_t m = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; m < M; m += int64_t(gridDim.x) * blockDim.x) {
    const float* row = logits + m * C;
    float max = row[0];
    int64_t arg = 0;
    for (int64_t c = 1; c < C; ++c)
      if (row[c] > max) max = row[c], arg = c;
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += exp(double(row[c] - max));
    const double log_sum = log(sum) + double(max);
    const int32_t label = labels[m];
    rows[m] = log_sum - double(row[label]);
    rows[M + m] = arg == label ? 1.0 : 0.0;
    if (dlogits) {
      const double inv_m = 1.0 / double(M);
      for (int64_t c = 0; c < C; ++c)
        dlogits[m * C + c] = float((exp(double(row[c]) - log_sum) - (c == label ? 1.0 : 0.0)) * inv_m);
    }
  }
}

}  // namespace

void dot(cudaStream_t s, DeviceScratch& partials, const float* x, const float* y, int64_t n, double* out) {
  const int blocks = partial_blocks(n);
  double* partial = partials.get<double>(size_t(blocks));
  dot_partials<<<blocks, kThreads, 0, s>>>(x, y, n, partial);
  check_launch("dot_partials");
  sum_columns<<<1, kThreads, 0, s>>>(partial, blocks, 1, out);
  check_launch("dot sum_columns");
}

void decayed_sum_squares(cudaStream_t s, DeviceScratch& partials, const float* g, const float* w, float decay,
                         int64_t n, double* out) {
  const int blocks = partial_blocks(n);
  double* partial = partials.get<double>(size_t(blocks));
  decayed_sum_squares_partials<<<blocks, kThreads, 0, s>>>(g, w, decay, n, partial);
  check_launch("decayed_sum_squares_partials");
  sum_columns<<<1, kThreads, 0, s>>>(partial, blocks, 1, out);
  check_launch("decayed_sum_squares sum_columns");
}

void softmax_cross_entropy(cudaStream_t s, DeviceScratch& partials, const float* logits, const int32_t* labels,
                           int64_t M, int64_t C, float* dlogits, double* out) {
  double* rows = partials.get<double>(size_t(2 * std::max<int64_t>(M, 1)));
  if (M > 0) {
    softmax_rows<<<blocks_for(M), kThreads, 0, s>>>(logits, labels, M, C, dlogits, rows);
    check_launch("softmax_rows");
  }
  sum_columns<<<1, kThreads, 0, s>>>(rows, M, 2, out);
  check_launch("softmax sum_columns");
}

}  // namespace layerprune::cuda
