// Convolutions as implicit GEMMs on the kernel of gemm.cuh: the loaders below gather
// the im2col matrix (or its backward-data counterpart) straight from the NHWC
// activations, with zeros for padding, so no unfolded copy is ever written.
//
//   forward          y (NPQ, K)      = im2col(x) (NPQ, RSC) * w^T (RSC, K)
//   backward data    dx (NHW, C)     = gather(dy) (NHW, RSK) * w (RSK, C)
//   backward weights dw (K, CRS)     = dy^T (K, NPQ) * im2col(x) (NPQ, CRS)
//
// The forward and backward-data reduction index runs channel-innermost ((r, s, c) and
// (r, s, k)) so that consecutive K indices are adjacent in NHWC memory; the
// weight-gradient columns run (c, r, s) so the output is the plain (K,C,R,S) layout.
#include "backend/cuda/gemm.cuh"
#include "backend/cuda/kernels.h"

namespace layerprune::cuda {
namespace {

struct Geometry {  // ConvGeometry as ints, passed to the device by value
  int N, C, H, W, K, R, S, stride, pad, P, Q;
};

Geometry device_geometry(const ConvGeometry& g) {
  return {int(g.N), int(g.C), int(g.H), int(g.W), int(g.K), int(g.R), int(g.S), int(g.stride), int(g.pad),
          int(g.P()), int(g.Q())};
}

// x gathered as im2col: row m = (n, p, q), column j = (r, s, c).
struct Im2colRsc {
  static constexpr bool kKFastest = true;
  const float* x;
  Geometry g;
  __host__ __device__ float operator()(int m, int j) const {
    const int q = m % g.Q, np = m / g.Q, p = np % g.P, n = np / g.P;
    const int c = j % g.C, rs = j / g.C, s = rs % g.S, r = rs / g.S;
    const int h = p * g.stride - g.pad + r, w = q * g.stride - g.pad + s;
    if (h < 0 || h >= g.H || w < 0 || w >= g.W) return 0.f;
    return x[((int64_t(n) * g.H + h) * g.W + w) * g.C + c];
  }
};
// Filters as B (RSC, K): B(j = (r,s,c), k) = w[k][c][r][s].
struct FilterRscByK {
  static constexpr bool kKFastest = true;
  const float* w;
  Geometry g;
  __host__ __device__ float operator()(int j, int k) const {
    const int c = j % g.C, rs = j / g.C, s = rs % g.S, r = rs / g.S;
    return w[((int64_t(k) * g.C + c) * g.R + r) * g.S + s];
  }
};

// dy gathered for the data gradient: row m = (n, h, w), column j = (r, s, k); the
// entry is dy[n][p][q][k] when h = p*stride - pad + r and w = q*stride - pad + s.
struct DyGather {
  static constexpr bool kKFastest = true;
  const float* dy;
  Geometry g;
  __host__ __device__ float operator()(int m, int j) const {
    const int w = m % g.W, nh = m / g.W, h = nh % g.H, n = nh / g.H;
    const int k = j % g.K, rs = j / g.K, s = rs % g.S, r = rs / g.S;
    const int ph = h + g.pad - r, qw = w + g.pad - s;
    if (ph < 0 || qw < 0 || ph % g.stride != 0 || qw % g.stride != 0) return 0.f;
    const int p = ph / g.stride, q = qw / g.stride;
    if (p >= g.P || q >= g.Q) return 0.f;
    return dy[((int64_t(n) * g.P + p) * g.Q + q) * g.K + k];
  }
};
// Filters as B (RSK, C): B(j = (r,s,k), c) = w[k][c][r][s].
struct FilterRskByC {
  static constexpr bool kKFastest = false;
  const float* w;
  Geometry g;
  __host__ __device__ float operator()(int j, int c) const {
    const int k = j % g.K, rs = j / g.K, s = rs % g.S, r = rs / g.S;
    return w[((int64_t(k) * g.C + c) * g.R + r) * g.S + s];
  }
};

// dy^T as A (K, NPQ): A(k, t) = dy[t*K + k].
struct DyTransposed {
  static constexpr bool kKFastest = false;
  const float* dy;
  int K;
  __host__ __device__ float operator()(int k, int t) const { return dy[int64_t(t) * K + k]; }
};
// im2col(x) as B (NPQ, CRS): B(t = (n,p,q), j = (c,r,s)).
struct Im2colCrs {
  static constexpr bool kKFastest = true;
  const float* x;
  Geometry g;
  __host__ __device__ float operator()(int t, int j) const {
    const int q = t % g.Q, np = t / g.Q, p = np % g.P, n = np / g.P;
    const int s = j % g.S, cr = j / g.S, r = cr % g.R, c = cr / g.R;
    const int h = p * g.stride - g.pad + r, w = q * g.stride - g.pad + s;
    if (h < 0 || h >= g.H || w < 0 || w >= g.W) return 0.f;
    return x[((int64_t(n) * g.H + h) * g.W + w) * g.C + c];
  }
};

}  // namespace

void conv_forward(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& cg, const float* x, const float* w,
                  float* y) {
  const Geometry g = device_geometry(cg);
  gemm(s, ws, g.N * g.P * g.Q, g.K, g.R * g.S * g.C, Im2colRsc{x, g}, FilterRscByK{w, g},
       Epilogue{y, g.K, nullptr, false, false}, "conv_forward");
}

void conv_backward_data(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& cg, const float* dy, const float* w,
                        float* dx, bool accumulate) {
  const Geometry g = device_geometry(cg);
  gemm(s, ws, g.N * g.H * g.W, g.C, g.R * g.S * g.K, DyGather{dy, g}, FilterRskByC{w, g},
       Epilogue{dx, g.C, nullptr, false, accumulate}, "conv_backward_data");
}

void conv_backward_weights(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& cg, const float* dy, const float* x,
                           float* dw) {
  const Geometry g = device_geometry(cg);
  gemm(s, ws, g.K, g.C * g.R * g.S, g.N * g.P * g.Q, DyTransposed{dy, g.K}, Im2colCrs{x, g},
       Epilogue{dw, g.C * g.R * g.S, nullptr, false, false}, "conv_backward_weights");
}

}  // namespace layerprune::cuda
