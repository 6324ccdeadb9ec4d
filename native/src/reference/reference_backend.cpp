// The reference ops behind the Backend interface, on host memory: lets tests run the
// whole model on plain loops and hold the oneDNN model to it.
#include <cstdlib>
#include <cstring>
#include <vector>

#include "backend/backend.h"
#include "core/error.h"
#include "reference/ops.h"

namespace layerprune {
namespace {

class ReferenceBackend final : public Backend {
 public:
  const char* name() const override { return "reference"; }
  void* allocate(size_t bytes) override {
    void* p = std::calloc(bytes == 0 ? 1 : bytes, 1);
    require(p != nullptr, "could not allocate ", bytes, " bytes of host memory");
    return p;
  }
  void release(void* pointer) override { std::free(pointer); }
  void to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(float* dst, const float* src, int64_t n) override {
    if (dst != src) std::memmove(dst, src, sizeof(float) * n);
  }
  void fill(float* dst, float value, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }
  // bf16 emulated: the inputs of every matrix product rounded to bf16 (ops.h round_to_bf16), the
  // product itself in f32 as in fp32, which is what a bf16 kernel with f32 accumulation computes
  // up to its summation order.
  void set_precision(Precision p) override {
    precision_name(p);  // validates
    precision_ = p;
  }
  void linear_forward(const float* X, const float* W, const float* b, float* Y, int64_t M,
                      int64_t N, int64_t K, bool relu) override {
    reference::linear_forward(in(X, M * K, a_), in(W, N * K, b_), b, Y, M, N, K, relu);
  }
  void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M, int64_t N,
                            int64_t K, bool accumulate) override {
    reference::linear_backward_data(in(dY, M * N, a_), in(W, N * K, b_), dX, M, N, K, accumulate);
  }
  void linear_backward_weights(const float* dY, const float* X, float* dW, float* db, int64_t M,
                               int64_t N, int64_t K) override {
    // db is a sum of the f32 output gradient, not a matrix product: unrounded.
    reference::linear_backward_weights<float>(in(dY, M * N, a_), in(X, M * K, b_), dW, nullptr, M, N, K);
    if (db) reference::column_sums(dY, db, M, N);
  }
  void conv_forward(const ConvGeometry& g, const float* x, const float* w, float* y) override {
    reference::conv_forward(g, in(x, g.N * g.H * g.W * g.C, a_), in(w, g.K * g.C * g.R * g.S, b_), y);
  }
  void conv_backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                          bool accumulate) override {
    reference::conv_backward_data(g, in(dy, g.N * g.P() * g.Q() * g.K, a_), in(w, g.K * g.C * g.R * g.S, b_), dx,
                                  accumulate);
  }
  void conv_backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw) override {
    reference::conv_backward_weights(g, in(dy, g.N * g.P() * g.Q() * g.K, a_), in(x, g.N * g.H * g.W * g.C, b_),
                                     dw);
  }
  void batchnorm_forward(const float* x, float* y, int64_t rows, int64_t C, const float* gamma, const float* beta,
                         float* mean, float* var, float* running_mean, float* running_var, float momentum,
                         bool training, float eps, bool relu) override {
    reference::batchnorm_forward(x, y, rows, C, gamma, beta, mean, var, running_mean, running_var, momentum,
                                 training, eps);
    if (relu) reference::relu_forward(y, y, rows * C);  // the unfused composition, as the definition
  }
  void batchnorm_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma,
                          const float* mean, const float* var, float* dgamma, float* dbeta, float eps,
                          const float* relu_y) override {
    if (relu_y) {  // the ReLU's backward on a copy of dy, then batch norm's
      masked_dy_.assign(dy, dy + rows * C);
      reference::relu_backward(relu_y, masked_dy_.data(), rows * C);
      dy = masked_dy_.data();
    }
    reference::batchnorm_backward(x, dy, dx, rows, C, gamma, mean, var, dgamma, dbeta, eps);
  }
  void global_avgpool_forward(const float* x, float* y, int64_t N, int64_t spatial, int64_t C) override {
    reference::global_avgpool_forward(x, y, N, spatial, C);
  }
  void global_avgpool_backward(const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) override {
    reference::global_avgpool_backward(dy, dx, N, spatial, C);
  }
  void relu_forward(const float* x, float* y, int64_t n) override { reference::relu_forward(x, y, n); }
  void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) override {
    reference::maxpool_forward(g, x, y, argmax);
  }
  void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) override {
    reference::maxpool_backward(g, dy, argmax, dx);
  }
  void relu_backward(const float* Y, float* dY, int64_t n) override {
    reference::relu_backward(Y, dY, n);
  }
  void add_scaled(const float* x, float a, const float* z, float* out, int64_t n, bool relu) override {
    reference::add_scaled(x, a, z, out, n);
    if (relu) reference::relu_forward(out, out, n);  // the unfused composition, as the definition
  }
  void axpy(float a, const float* x, float* y, int64_t n) override {
    reference::add_scaled<float>(y, a, x, y, n);
  }
  void add_channel_bias(float* y, const float* bias, int64_t rows, int64_t C, bool relu) override {
    reference::add_channel_bias(y, bias, rows, C, relu);
  }
  double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t M, int64_t C,
                               float* dlogits, int64_t* correct) override {
    return reference::softmax_cross_entropy(logits, labels, M, C, dlogits, correct);
  }
  double sum_squares(const float* x, int64_t n) override { return reference::sum_squares(x, n); }
  double dot(const float* x, const float* y, int64_t n) override { return reference::dot(x, y, n); }
  double decayed_sum_squares(const float* g, const float* w, float decay, int64_t n) override {
    return reference::decayed_sum_squares(g, w, decay, n);
  }
  void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr, float momentum, float grad_scale,
                    float decay) override {
    reference::sgd_momentum(w, v, g, n, lr, momentum, grad_scale, decay);
  }

 private:
  // `x` as a matrix product reads it: itself in fp32, a bf16-rounded copy in `scratch` in bf16.
  const float* in(const float* x, int64_t n, std::vector<float>& scratch) {
    if (precision_ != PRECISION_BF16) return x;
    scratch.resize(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) scratch[i] = reference::round_to_bf16(x[i]);
    return scratch.data();
  }
  std::vector<float> a_, b_;
  std::vector<float> masked_dy_;  // batchnorm_backward with relu_y: dy after the ReLU backward
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace layerprune
