// The backend interface: every op the model and the method need, on one device.
//
// Pointers are device pointers owned through allocate/release; the interface never
// assumes host memory (to_device/to_host are the only crossings), so a CUDA backend
// is a new folder implementing this class, not a branch in the model.
// Shapes are row-major; comments give them as (rows, cols).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "core/memory_check.h"
#include "layerprune/types.h"

namespace layerprune {

// A 2-D convolution on NHWC activations: x (N, H, W, C) -> y (N, P, Q, K) with a
// (K, C, R, S) filter, square stride and symmetric zero padding, no bias.
struct ConvGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;  // input
  int64_t K = 0, R = 0, S = 0;         // output channels and kernel
  int64_t stride = 1, pad = 0;
  int64_t P() const { return (H + 2 * pad - R) / stride + 1; }
  int64_t Q() const { return (W + 2 * pad - S) / stride + 1; }
  bool operator==(const ConvGeometry& o) const {
    return N == o.N && C == o.C && H == o.H && W == o.W && K == o.K && R == o.R && S == o.S &&
           stride == o.stride && pad == o.pad;
  }
};

// Max pooling on NHWC activations: x (N, H, W, C) -> y (N, P, Q, C) over square windows of
// `kernel` with `stride` and symmetric padding `pad` (padded positions never win). Floor mode
// drops a last partial window; ceil mode keeps it when it starts inside the input or its left
// padding (ONNX's and PyTorch's rule). 2x2/2 ceil mode, the default, pools an odd last row or
// column alone.
struct PoolGeometry {
  int64_t N = 0, C = 0, H = 0, W = 0;
  int64_t kernel = 2, stride = 2, pad = 0;
  bool ceil = true;
  // Output positions along one side (< 1: no window fits, an invalid geometry).
  static int64_t out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad, bool ceil) {
    const int64_t span = in + 2 * pad - kernel;  // a partial window (span < 0) exists in ceil mode only
    if (span < 0) return ceil ? 1 - (-span) / stride : 0;
    int64_t out = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil && (out - 1) * stride >= in + pad) --out;
    return out;
  }
  int64_t P() const { return out_size(H, kernel, stride, pad, ceil); }
  int64_t Q() const { return out_size(W, kernel, stride, pad, ceil); }
  // Windows overlap: an input element can be the maximum of several outputs.
  bool overlapping() const { return kernel > stride; }
};

inline PoolGeometry pool2x2(int64_t N, int64_t H, int64_t W, int64_t C) {
  PoolGeometry g;
  g.N = N, g.C = C, g.H = H, g.W = W;
  return g;
}

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // Precision of the matrix products (linear_* and conv_*, forward and backward): FP32, or
  // BF16 (inputs rounded to bf16 to nearest even, products accumulated and written in f32).
  // Every other op is f32 whatever the setting. A backend that cannot run `p` throws Error
  // naming what it lacks (no silent fallback); plans made for the old precision are dropped.
  virtual void set_precision(Precision p) {
    if (p != PRECISION_FP32) unsupported_precision(p);
  }
  Precision precision() const { return precision_; }

  // Memory ----------------------------------------------------------------------
  virtual void* allocate(size_t bytes) = 0;  // throws Error on failure
  // Bytes that allocate() can still hand out, roughly (host: MemAvailable; a GPU: its free memory),
  // for checks that refuse a too large batch before allocating it.
  // Inline, so that Backend keeps no key function: its vtable and typeinfo are emitted wherever
  // a backend is built, as the static CUDA library's link order needs.
  virtual int64_t available_memory() const { return available_memory_bytes(); }
  virtual void release(void* pointer) = 0;
  virtual void to_device(void* device_dst, const void* host_src, size_t bytes) = 0;
  virtual void to_host(void* host_dst, const void* device_src, size_t bytes) = 0;
  virtual void copy(float* dst, const float* src, int64_t n) = 0;
  virtual void fill(float* dst, float value, int64_t n) = 0;

  // Dense layer -------------------------------------------------------------------
  // Y (M,N) = X (M,K) * W (N,K)^T + b (N), then ReLU if `relu`. b may be null.
  virtual void linear_forward(const float* X, const float* W, const float* b, float* Y,
                              int64_t M, int64_t N, int64_t K, bool relu) = 0;
  // dX (M,K) = dY (M,N) * W (N,K), added to dX if `accumulate`.
  virtual void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M,
                                    int64_t N, int64_t K, bool accumulate) = 0;
  // dW (N,K) = dY (M,N)^T * X (M,K); db (N) = column sums of dY (skipped if null).
  virtual void linear_backward_weights(const float* dY, const float* X, float* dW, float* db,
                                       int64_t M, int64_t N, int64_t K) = 0;
  // Both backward products of one output gradient: linear_backward_weights, then
  // linear_backward_data, with dY unchanged in between, so a backend may prepare dY once for
  // both (the oneDNN backend converts it to bf16 once in a mixed-precision run). dX must not
  // alias dY.
  virtual void linear_backward(const float* dY, const float* X, const float* W, float* dW, float* db, float* dX,
                               int64_t M, int64_t N, int64_t K, bool accumulate) {
    linear_backward_weights(dY, X, dW, db, M, N, K);
    linear_backward_data(dY, W, dX, M, N, K, accumulate);
  }

  // Convolution (weights in plain (K, C, R, S) order; a backend may use faster private
  // layouts internally, planned once per geometry) ----------------------------------
  virtual void conv_forward(const ConvGeometry& g, const float* x, const float* w, float* y) = 0;
  // dx (N,H,W,C) (=|+=) the data gradient of dy (N,P,Q,K).
  virtual void conv_backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                                  bool accumulate) = 0;
  // dw (K,C,R,S) = the weight gradient.
  virtual void conv_backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw) = 0;
  // Both: conv_backward_weights, then conv_backward_data, dy unchanged in between (as
  // linear_backward).
  virtual void conv_backward(const ConvGeometry& g, const float* dy, const float* x, const float* w, float* dw,
                             float* dx, bool accumulate) {
    conv_backward_weights(g, dy, x, dw);
    conv_backward_data(g, dy, w, dx, accumulate);
  }

  // Batch normalisation over the C channels of x (rows, C) (NHWC: rows = N*H*W).
  // Training: batch statistics (biased variance) written to mean/var for backward, and
  // when running_mean is non-null running = (1 - momentum) running + momentum batch
  // (unbiased variance). Inference: normalises with running_mean/running_var.
  // relu: y = ReLU(BN(x)) in the same pass (a conv -> BN -> ReLU layer reads and writes its
  // activations once instead of twice).
  virtual void batchnorm_forward(const float* x, float* y, int64_t rows, int64_t C, const float* gamma,
                                 const float* beta, float* mean, float* var, float* running_mean,
                                 float* running_var, float momentum, bool training, float eps, bool relu) = 0;
  // dx, dgamma, dbeta from dy, given the x, mean and var of the training forward. relu_y
  // non-null: dy is the gradient with respect to ReLU(BN(x)) = relu_y, and the ReLU's backward
  // (dy where relu_y > 0, else 0) is applied on the fly instead of in a pass of its own.
  virtual void batchnorm_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t C,
                                  const float* gamma, const float* mean, const float* var, float* dgamma,
                                  float* dbeta, float eps, const float* relu_y) = 0;
  // y (N, C) = mean over the `spatial` positions of x (N, spatial, C), and its backward
  // dx (N, spatial, C) = dy / spatial.
  virtual void global_avgpool_forward(const float* x, float* y, int64_t N, int64_t spatial, int64_t C) = 0;
  virtual void global_avgpool_backward(const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) = 0;

  // Max pooling (PoolGeometry); argmax (same size as y) records the flat index into x of each
  // maximum (the first in row-major window order) for the backward, which writes every entry of
  // dx; where windows overlap, an element's contributions are summed in output order.
  virtual void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) = 0;
  virtual void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) = 0;
  // 2x2 max pooling, stride 2, ceil mode: x (N, H, W, C) -> y (N, ceil(H/2), ceil(W/2), C).
  void maxpool_forward(const float* x, float* y, int32_t* argmax, int64_t N, int64_t H, int64_t W, int64_t C) {
    maxpool_forward(pool2x2(N, H, W, C), x, y, argmax);
  }
  void maxpool_backward(const float* dy, const int32_t* argmax, float* dx, int64_t N, int64_t H, int64_t W,
                        int64_t C) {
    maxpool_backward(pool2x2(N, H, W, C), dy, argmax, dx);
  }

  // Elementwise -------------------------------------------------------------------
  // y = max(x, 0) (y may alias x).
  virtual void relu_forward(const float* x, float* y, int64_t n) = 0;
  // dY *= (Y > 0): the ReLU backward given the ReLU's output Y.
  virtual void relu_backward(const float* Y, float* dY, int64_t n) = 0;
  // out = x + a * z (out may alias x or z); relu: out = ReLU(x + a * z) in the same pass (a
  // residual block's sum and the ReLU after it).
  virtual void add_scaled(const float* x, float a, const float* z, float* out, int64_t n, bool relu) = 0;
  // y += a * x
  virtual void axpy(float a, const float* x, float* y, int64_t n) = 0;
  // y (rows, C) += bias (C) on every row, then ReLU if `relu`: the bias of a convolution
  // whose batch norm was folded into it (export, inference only).
  virtual void add_channel_bias(float* y, const float* bias, int64_t rows, int64_t C, bool relu) = 0;

  // Reductions ----------------------------------------------------------------------
  // Mean softmax cross-entropy of logits (M,C) against labels (M). Writes
  // dlogits (M,C) = (softmax - onehot) / M when non-null and the number of rows whose
  // arg-max equals the label into *correct when non-null.
  virtual double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t M,
                                       int64_t C, float* dlogits, int64_t* correct) = 0;
  virtual double sum_squares(const float* x, int64_t n) = 0;
  // sum_i (g_i + decay w_i)^2: the squared norm of a gradient with its weight decay (or prior
  // pull) added, without storing the sum (the optimizer adds it again in sgd_momentum).
  virtual double decayed_sum_squares(const float* g, const float* w, float decay, int64_t n) = 0;
  // Per-row mean cross-entropy is all we need for the loss; dot for estimators.
  virtual double dot(const float* x, const float* y, int64_t n) = 0;

  // Optimizer -----------------------------------------------------------------------
  // v = momentum * v + grad_scale * (g + decay * w); w -= lr * v: one pass per parameter
  // tensor for the weight decay (or the prior's pull on W), the clipping scale and the
  // momentum update.
  virtual void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr,
                            float momentum, float grad_scale, float decay) = 0;

 protected:
  [[noreturn]] void unsupported_precision(Precision p) const;
  Precision precision_ = PRECISION_FP32;
};

// The name of a Precision ("fp32", "bf16"); Error for any other value.
const char* precision_name(int32_t precision);
// Why this CPU cannot run bf16 matrix products on oneDNN ("" when it can): the instruction
// sets it lacks, or an architecture without them.
const char* cpu_bf16_unsupported_reason();

std::unique_ptr<Backend> make_cpu_backend();        // oneDNN, the fast path
std::unique_ptr<Backend> make_reference_backend();  // plain loops, the oracle for tests
// One NVIDIA GPU (backend/cuda/). Throws Error when this build has no CUDA backend
// (backend/cuda_unavailable.cpp) or when no CUDA-capable GPU or driver is found.
std::unique_ptr<Backend> make_cuda_backend();

}  // namespace layerprune
