// The reference ops behind the Backend interface, on host memory: lets tests run the
// whole model on plain loops and hold the oneDNN model to it.
#include <cstdlib>
#include <cstring>

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
  void linear_forward(const float* X, const float* W, const float* b, float* Y, int64_t M,
                      int64_t N, int64_t K, bool relu) override {
    reference::linear_forward(X, W, b, Y, M, N, K, relu);
  }
  void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M, int64_t N,
                            int64_t K, bool accumulate) override {
    reference::linear_backward_data(dY, W, dX, M, N, K, accumulate);
  }
  void linear_backward_weights(const float* dY, const float* X, float* dW, float* db, int64_t M,
                               int64_t N, int64_t K) override {
    reference::linear_backward_weights(dY, X, dW, db, M, N, K);
  }
  void conv_forward(const ConvGeometry& g, const float* x, const float* w, float* y) override {
    reference::conv_forward(g, x, w, y);
  }
  void conv_backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                          bool accumulate) override {
    reference::conv_backward_data(g, dy, w, dx, accumulate);
  }
  void conv_backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw) override {
    reference::conv_backward_weights(g, dy, x, dw);
  }
  void batchnorm_forward(const float* x, float* y, int64_t rows, int64_t C, const float* gamma, const float* beta,
                         float* mean, float* var, float* running_mean, float* running_var, float momentum,
                         bool training, float eps) override {
    reference::batchnorm_forward(x, y, rows, C, gamma, beta, mean, var, running_mean, running_var, momentum,
                                 training, eps);
  }
  void batchnorm_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma,
                          const float* mean, const float* var, float* dgamma, float* dbeta, float eps) override {
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
  void add_scaled(const float* x, float a, const float* z, float* out, int64_t n) override {
    reference::add_scaled(x, a, z, out, n);
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
  void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr, float momentum,
                    float grad_scale) override {
    reference::sgd_momentum(w, v, g, n, lr, momentum, grad_scale);
  }
};

}  // namespace

std::unique_ptr<Backend> make_reference_backend() { return std::make_unique<ReferenceBackend>(); }

}  // namespace layerprune
