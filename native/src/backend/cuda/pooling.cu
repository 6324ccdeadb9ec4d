// Global average pooling and 2x2/2 ceil-mode max pooling on NHWC activations.
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/kernels.h"
#include "backend/cuda/launch.h"

namespace layerprune::cuda {
namespace {

#define GRID_STRIDE(i, n) \
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

// One thread per (n, c): positions added in order, in double (as the reference does).
__global__ void avgpool_forward(const float* x, float* y, int64_t N, int64_t spatial, int64_t C) {
  GRID_STRIDE(i, N * C) {
    const int64_t n = i / C, c = i % C;
    double acc = 0;
    for (int64_t s = 0; s < spatial; ++s) acc += x[(n * spatial + s) * C + c];
    y[i] = float(acc / double(spatial));
  }
}

__global__ void avgpool_backward(const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) {
  const float inv = 1.f / float(spatial);
  GRID_STRIDE(i, N * spatial * C) {
    const int64_t c = i % C, n = i / (spatial * C);
    dx[i] = dy[n * C + c] * inv;
  }
}

// One thread per output (n, p, q, c); the window is scanned row by row and a later
// element wins only if strictly larger, as in the reference.
__global__ void maxpool_fwd(const float* x, float* y, int32_t* argmax, int64_t N, int64_t H, int64_t W, int64_t C) {
  const int64_t P = (H + 1) / 2, Q = (W + 1) / 2;
  GRID_STRIDE(o, N * P * Q * C) {
    const int64_t c = o % C, t = o / C, q = t % Q, np = t / Q, p = np % P, n = np / P;
    int64_t best = ((n * H + 2 * p) * W + 2 * q) * C + c;
    float value = x[best];
    for (int64_t h = 2 * p; h < min(2 * p + 2, H); ++h)
      for (int64_t w = 2 * q; w < min(2 * q + 2, W); ++w) {
        const int64_t i = ((n * H + h) * W + w) * C + c;
        if (x[i] > value) value = x[i], best = i;
      }
    y[o] = value;
    argmax[o] = int32_t(best);
  }
}

// The 2x2/2 windows do not overlap, so every dx element has at most one source:
// a plain scatter, no atomics.
__global__ void maxpool_scatter(const float* dy, const int32_t* argmax, float* dx, int64_t outputs) {
  GRID_STRIDE(o, outputs) dx[argmax[o]] += dy[o];
}

}  // namespace

void global_avgpool_forward(cudaStream_t s, const float* x, float* y, int64_t N, int64_t spatial, int64_t C) {
  if (N * C <= 0) return;
  avgpool_forward<<<blocks_for(N * C), kThreads, 0, s>>>(x, y, N, spatial, C);
  check_launch("global_avgpool_forward");
}

void global_avgpool_backward(cudaStream_t s, const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) {
  if (N * spatial * C <= 0) return;
  avgpool_backward<<<blocks_for(N * spatial * C), kThreads, 0, s>>>(dy, dx, N, spatial, C);
  check_launch("global_avgpool_backward");
}

void maxpool_forward(cudaStream_t s, const float* x, float* y, int32_t* argmax, int64_t N, int64_t H, int64_t W,
                     int64_t C) {
  const int64_t outputs = N * ((H + 1) / 2) * ((W + 1) / 2) * C;
  if (outputs <= 0) return;
  maxpool_fwd<<<blocks_for(outputs), kThreads, 0, s>>>(x, y, argmax, N, H, W, C);
  check_launch("maxpool_forward");
}

void maxpool_backward(cudaStream_t s, const float* dy, const int32_t* argmax, float* dx, int64_t N, int64_t H,
                      int64_t W, int64_t C) {
  fill(s, dx, 0.f, N * H * W * C);
  const int64_t outputs = N * ((H + 1) / 2) * ((W + 1) / 2) * C;
  if (outputs <= 0) return;
  maxpool_scatter<<<blocks_for(outputs), kThreads, 0, s>>>(dy, argmax, dx, outputs);
  check_launch("maxpool_backward");
}

}  // namespace layerprune::cuda
