// Batch normalisation over the channels of x (rows, C), in three launches:
//   1. per-chunk channel sums: block (chunk of kChunkRows rows) x (32 channels), 8 row
//      lanes per channel accumulating in double, lanes combined in lane order;
//   2. one thread per channel adds the chunks in chunk order and derives the statistics
//      and the per-channel coefficients;
//   3. an elementwise pass applies them.
// Fixed chunking and fixed summation order: no atomics, reproducible to the bit.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.h"

namespace layerprune::cuda {
namespace {

constexpr int kChunkRows = 512, kLanes = 8, kChannelsPerBlock = 32;

enum class Sums { kMoments, kBackward };

// The incoming gradient of batch norm: dy, or with relu_y (a ReLU after it) dy where relu_y > 0.
__device__ float incoming(const float* dy, const float* relu_y, int64_t i) {
  return relu_y == nullptr || relu_y[i] > 0.f ? dy[i] : 0.f;
}

// partial[(chunk * C + c) * 2 + {0, 1}]: kMoments: (sum x, sum x^2); kBackward:
// (sum dy, sum dy * xhat) with xhat = (x - mean) * inv.
template <Sums kind>
__global__ void channel_partials(const float* x, const float* dy, const float* relu_y, const float* mean,
                                 const float* inv, int64_t rows, int C, double* partial) {
  __shared__ double s1[kLanes][kChannelsPerBlock], s2[kLanes][kChannelsPerBlock];
  const int cl = threadIdx.x % kChannelsPerBlock, lane = threadIdx.x / kChannelsPerBlock;
  const int c = blockIdx.y * kChannelsPerBlock + cl;
  const int64_t begin = int64_t(blockIdx.x) * kChunkRows;
  const int64_t end = min(rows, begin + kChunkRows);
  double a = 0, b = 0;
  if (c < C) {
    if (kind == Sums::kMoments) {
      for (int64_t r = begin + lane; r < end; r += kLanes) {
        const double v = x[r * C + c];
        a += v;
        b += v * v;
      }
    } else {
      const double m = mean[c], iv = inv[c];
      for (int64_t r = begin + lane; r < end; r += kLanes) {
        const double d = incoming(dy, relu_y, r * C + c);
        a += d;
        b += d * (double(x[r * C + c]) - m) * iv;
      }
    }
  }
  s1[lane][cl] = a;
  s2[lane][cl] = b;
  __syncthreads();
  if (lane == 0 && c < C) {
    double t1 = 0, t2 = 0;
    for (int l = 0; l < kLanes; ++l) t1 += s1[l][cl], t2 += s2[l][cl];
    partial[(int64_t(blockIdx.x) * C + c) * 2] = t1;
    partial[(int64_t(blockIdx.x) * C + c) * 2 + 1] = t2;
  }
}

__device__ void chunk_totals(const double* partial, int chunks, int C, int c, double& t1, double& t2) {
  t1 = 0, t2 = 0;
  for (int k = 0; k < chunks; ++k) t1 += partial[(int64_t(k) * C + c) * 2], t2 += partial[(int64_t(k) * C + c) * 2 + 1];
}

// Training: batch statistics (biased variance), running update (unbiased), then
// scale/shift. Inference (partial null): scale/shift from the running statistics.
__global__ void forward_coefficients(const double* partial, int chunks, int64_t rows, int C, const float* gamma,
                                     const float* beta, float* mean, float* var, float* running_mean,
                                     float* running_var, float momentum, float eps, float* scale, float* shift) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float m, v;
  if (partial) {
    double t1, t2;
    chunk_totals(partial, chunks, C, c, t1, t2);
    const double mu = t1 / double(rows);
    m = float(mu);
    v = float(fmax(0.0, t2 / double(rows) - mu * mu));
    mean[c] = m;
    var[c] = v;
    if (running_mean) {
      const float unbias = rows > 1 ? float(rows) / float(rows - 1) : 1.f;
      running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * m;
      running_var[c] = (1.f - momentum) * running_var[c] + momentum * v * unbias;
    }
  } else {
    m = running_mean[c];
    v = running_var[c];
  }
  const float sc = gamma[c] / sqrtf(v + eps);
  scale[c] = sc;
  shift[c] = beta[c] - m * sc;
}

__global__ void scale_shift(const float* x, float* y, int64_t n, int C, const float* scale, const float* shift,
                            bool relu) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int c = int(i % C);
    const float v = x[i] * scale[c] + shift[c];
    y[i] = !relu || v > 0.f ? v : 0.f;
  }
}

__global__ void inverse_std(const float* var, float eps, int C, float* inv) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c < C) inv[c] = 1.f / sqrtf(var[c] + eps);
}

// dgamma, dbeta and dx = a * (dy - b1 - xhat * b2) coefficients.
__global__ void backward_coefficients(const double* partial, int chunks, int64_t rows, int C, const float* gamma,
                                      const float* inv, float* dgamma, float* dbeta, float* a, float* b1, float* b2) {
  const int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= C) return;
  double t1, t2;
  chunk_totals(partial, chunks, C, c, t1, t2);
  dbeta[c] = float(t1);
  dgamma[c] = float(t2);
  a[c] = gamma[c] * inv[c];
  b1[c] = float(t1 / double(rows));
  b2[c] = float(t2 / double(rows));
}

__global__ void backward_dx(const float* x, const float* dy, const float* relu_y, float* dx, int64_t n, int C,
                            const float* mean, const float* inv, const float* a, const float* b1, const float* b2) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int c = int(i % C);
    const float xhat = (x[i] - mean[c]) * inv[c];
    dx[i] = a[c] * (incoming(dy, relu_y, i) - b1[c] - xhat * b2[c]);
  }
}

int chunks_of(int64_t rows) { return int((rows + kChunkRows - 1) / kChunkRows); }
dim3 partial_grid(int64_t rows, int64_t C) {
  return dim3(unsigned(chunks_of(rows)), unsigned((C + kChannelsPerBlock - 1) / kChannelsPerBlock));
}
constexpr int kPartialThreads = kLanes * kChannelsPerBlock;

}  // namespace

void batchnorm_forward(cudaStream_t s, DeviceScratch& partials, DeviceScratch& channel, const float* x, float* y,
                       int64_t rows, int64_t C, const float* gamma, const float* beta, float* mean, float* var,
                       float* running_mean, float* running_var, float momentum, bool training, float eps, bool relu) {
  if (rows <= 0 || C <= 0) return;
  float* coef = channel.get<float>(size_t(5 * C));
  float *scale = coef, *shift = coef + C;
  double* partial = nullptr;
  const int chunks = chunks_of(rows);
  if (training) {
    partial = partials.get<double>(size_t(chunks) * C * 2);
    channel_partials<Sums::kMoments><<<partial_grid(rows, C), kPartialThreads, 0, s>>>(
        x, nullptr, nullptr, nullptr, nullptr, rows, int(C), partial);
    check_launch("batchnorm channel_partials");
  }
  forward_coefficients<<<unsigned((C + 127) / 128), 128, 0, s>>>(partial, chunks, rows, int(C), gamma, beta, mean,
                                                                  var, running_mean, running_var, momentum, eps,
                                                                  scale, shift);
  check_launch("batchnorm forward_coefficients");
  scale_shift<<<blocks_for(rows * C), kThreads, 0, s>>>(x, y, rows * C, int(C), scale, shift, relu);
  check_launch("batchnorm scale_shift");
}

void batchnorm_backward(cudaStream_t s, DeviceScratch& partials, DeviceScratch& channel, const float* x,
                        const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma, const float* mean,
                        const float* var, float* dgamma, float* dbeta, float eps, const float* relu_y) {
  if (rows <= 0 || C <= 0) return;
  float* coef = channel.get<float>(size_t(5 * C));
  float *inv = coef, *a = coef + C, *b1 = coef + 2 * C, *b2 = coef + 3 * C;
  const int chunks = chunks_of(rows);
  double* partial = partials.get<double>(size_t(chunks) * C * 2);
  inverse_std<<<unsigned((C + 127) / 128), 128, 0, s>>>(var, eps, int(C), inv);
  check_launch("batchnorm inverse_std");
  channel_partials<Sums::kBackward><<<partial_grid(rows, C), kPartialThreads, 0, s>>>(x, dy, relu_y, mean, inv,
                                                                                     rows, int(C), partial);
  check_launch("batchnorm channel_partials (backward)");
  backward_coefficients<<<unsigned((C + 127) / 128), 128, 0, s>>>(partial, chunks, rows, int(C), gamma, inv, dgamma,
                                                                   dbeta, a, b1, b2);
  check_launch("batchnorm backward_coefficients");
  backward_dx<<<blocks_for(rows * C), kThreads, 0, s>>>(x, dy, relu_y, dx, rows * C, int(C), mean, inv, a, b1, b2);
  check_launch("batchnorm backward_dx");
}

}  // namespace layerprune::cuda
