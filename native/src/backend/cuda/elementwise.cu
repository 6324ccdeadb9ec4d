// Elementwise kernels: grid-stride loops, one element per thread per sweep.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.h"

namespace layerprune::cuda {
namespace {

#define GRID_STRIDE(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

__global__ void fill_kernel(float* dst, float value, int64_t n) { GRID_STRIDE(i, n) dst[i] = value; }
__global__ void relu_kernel(const float* x, float* y, int64_t n) {
  GRID_STRIDE(i, n) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
__global__ void relu_backward_kernel(const float* Y, float* dY, int64_t n) {
  GRID_STRIDE(i, n) dY[i] = Y[i] > 0.f ? dY[i] : 0.f;
}
__global__ void add_scaled_kernel(const float* x, float a, const float* z, float* out, int64_t n, bool relu) {
  GRID_STRIDE(i, n) {
    const float v = x[i] + a * z[i];
    out[i] = !relu || v > 0.f ? v : 0.f;
  }
}
__global__ void channel_bias_kernel(float* y, const float* bias, int64_t n, int64_t C, bool relu) {
  GRID_STRIDE(i, n) {
    const float v = y[i] + bias[i % C];
    y[i] = relu && v < 0.f ? 0.f : v;
  }
}
__global__ void sgd_kernel(float* w, float* v, const float* g, int64_t n, float lr, float momentum, float grad_scale,
                           float decay) {
  GRID_STRIDE(i, n) {
    const float d = g[i] + decay * w[i];
    const float vi = momentum * v[i] + grad_scale * d;
    v[i] = vi;
    w[i] -= lr * vi;
  }
}

}  // namespace

void fill(cudaStream_t s, float* dst, float value, int64_t n) {
  if (n <= 0) return;
  fill_kernel<<<blocks_for(n), kThreads, 0, s>>>(dst, value, n);
  check_launch("fill");
}
void relu_forward(cudaStream_t s, const float* x, float* y, int64_t n) {
  if (n <= 0) return;
  relu_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, y, n);
  check_launch("relu_forward");
}
void relu_backward(cudaStream_t s, const float* Y, float* dY, int64_t n) {
  if (n <= 0) return;
  relu_backward_kernel<<<blocks_for(n), kThreads, 0, s>>>(Y, dY, n);
  check_launch("relu_backward");
}
void add_scaled(cudaStream_t s, const float* x, float a, const float* z, float* out, int64_t n, bool relu) {
  if (n <= 0) return;
  add_scaled_kernel<<<blocks_for(n), kThreads, 0, s>>>(x, a, z, out, n, relu);
  check_launch("add_scaled");
}
void add_channel_bias(cudaStream_t s, float* y, const float* bias, int64_t rows, int64_t C, bool relu) {
  if (rows * C <= 0) return;
  channel_bias_kernel<<<blocks_for(rows * C), kThreads, 0, s>>>(y, bias, rows * C, C, relu);
  check_launch("add_channel_bias");
}
void sgd_momentum(cudaStream_t s, float* w, float* v, const float* g, int64_t n, float lr, float momentum,
                  float grad_scale, float decay) {
  if (n <= 0) return;
  sgd_kernel<<<blocks_for(n), kThreads, 0, s>>>(w, v, g, n, lr, momentum, grad_scale, decay);
  check_launch("sgd_momentum");
}

}  // namespace layerprune::cuda
