// Global average pooling and max pooling (PoolGeometry: windows, stride, padding, floor or ceil mode) on NHWC activations.
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
__global__ void maxpool_fwd(const float* x, float* y, int32_t* argmax, PoolGeometry g, int64_t P, int64_t Q) {
  const int64_t H = g.H, W = g.W, C = g.C;
  GRID_STRIDE(o, g.N * P * Q * C) {
    const int64_t c = o % C, t = o / C, q = t % Q, np = t / Q, p = np % P, n = np / P;
    const int64_t h0 = max(p * g.stride - g.pad, int64_t(0)), w0 = max(q * g.stride - g.pad, int64_t(0));
    const int64_t h1 = min(p * g.stride - g.pad + g.kernel, H), w1 = min(q * g.stride - g.pad + g.kernel, W);
    int64_t best = ((n * H + h0) * W + w0) * C + c;
    float value = x[best];
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t w = w0; w < w1; ++w) {
        const int64_t i = ((n * H + h) * W + w) * C + c;
        if (x[i] > value) value = x[i], best = i;
      }
    y[o] = value;
    argmax[o] = int32_t(best);
  }
}

// Windows that do not overlap (2x2/2) give every dx element at most one source: a plain
// scatter, no atomics.
__global__ void maxpool_scatter(const float* dy, const int32_t* argmax, float* dx, int64_t outputs) {
  GRID_STRIDE(o, outputs) dx[argmax[o]] += dy[o];
}

// Overlapping windows (3x3/2): one thread per input element gathers the outputs whose
// maximum it is, in output order (the CPU's and the reference's summation order).
__global__ void maxpool_gather(const float* dy, const int32_t* argmax, float* dx, PoolGeometry g, int64_t P,
                               int64_t Q) {
  const int64_t H = g.H, W = g.W, C = g.C;
  GRID_STRIDE(i, g.N * H * W * C) {
    const int64_t c = i % C, t = i / C, w = t % W, nh = t / W, h = nh % H, n = nh / H;
    // Windows p with p * stride - pad <= h < p * stride - pad + kernel.
    const int64_t p0 = max((h + g.pad - g.kernel + g.stride) / g.stride, int64_t(0)), p1 = min((h + g.pad) / g.stride, P - 1);
    const int64_t q0 = max((w + g.pad - g.kernel + g.stride) / g.stride, int64_t(0)), q1 = min((w + g.pad) / g.stride, Q - 1);
    float acc = 0.f;
    for (int64_t p = p0; p <= p1; ++p)
      for (int64_t q = q0; q <= q1; ++q) {
        const int64_t o = ((n * P + p) * Q + q) * C + c;
        if (argmax[o] == i) acc += dy[o];
      }
    dx[i] = acc;
  }
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

void maxpool_forward(cudaStream_t s, const PoolGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int64_t P = g.P(), Q = g.Q(), outputs = g.N * P * Q * g.C;
  if (outputs <= 0) return;
  maxpool_fwd<<<blocks_for(outputs), kThreads, 0, s>>>(x, y, argmax, g, P, Q);
  check_launch("maxpool_forward");
}

void maxpool_backward(cudaStream_t s, const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) {
  const int64_t P = g.P(), Q = g.Q(), outputs = g.N * P * Q * g.C, inputs = g.N * g.H * g.W * g.C;
  if (g.overlapping()) {
    if (inputs <= 0) return;
    maxpool_gather<<<blocks_for(inputs), kThreads, 0, s>>>(dy, argmax, dx, g, P, Q);
    check_launch("maxpool_backward");
    return;
  }
  fill(s, dx, 0.f, inputs);
  if (outputs <= 0) return;
  maxpool_scatter<<<blocks_for(outputs), kThreads, 0, s>>>(dy, argmax, dx, outputs);
  check_launch("maxpool_backward");
}

}  // namespace layerprune::cuda
