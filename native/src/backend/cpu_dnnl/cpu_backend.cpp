// The CPU backend: GEMMs on oneDNN matmul (planned once per shape), elementwise
// work and reductions as OpenMP loops on the same thread pool oneDNN uses.
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "backend/backend.h"
#include "backend/cpu_dnnl/matmul_plans.h"
#include "core/error.h"
#include "core/threads.h"

namespace layerprune {
namespace {

// Below this many elements a parallel region costs more than it saves. Measured on the
// K = 8 step (2 cores): 4096 gives 3.8-4.0 ms per step, 32768 gave 5.1 ms, because the
// (128, 256) activations of one section (32768 floats) then ran on one thread.
constexpr int64_t kParallelThreshold = 1 << 12;

class CpuBackend final : public Backend {
 public:
  CpuBackend() { configured_threads(); }
  const char* name() const override { return "cpu-onednn"; }

  void* allocate(size_t bytes) override {
    // 64-byte alignment: whole cache lines and AVX-512 vectors.
    const size_t rounded = ((bytes == 0 ? 1 : bytes) + 63) / 64 * 64;
    void* p = std::aligned_alloc(64, rounded);
    require(p != nullptr, "could not allocate ", bytes, " bytes of host memory (out of memory)");
    std::memset(p, 0, rounded);
    return p;
  }
  void release(void* pointer) override { std::free(pointer); }
  void to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(float* dst, const float* src, int64_t n) override {
    if (dst != src) std::memcpy(dst, src, sizeof(float) * n);
  }
  void fill(float* dst, float value, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) dst[i] = value;
  }

  void linear_forward(const float* X, const float* W, const float* b, float* Y, int64_t M,
                      int64_t N, int64_t K, bool relu) override {
    const auto kind = b == nullptr ? (relu ? cpu::GemmKind::kForwardRelu : cpu::GemmKind::kForwardNoBias)
                                   : (relu ? cpu::GemmKind::kForwardRelu : cpu::GemmKind::kForward);
    if (b == nullptr && relu) {
      plans_.run({M, N, K, cpu::GemmKind::kForwardNoBias}, X, W, nullptr, Y);
      apply_relu(Y, M * N);
      return;
    }
    plans_.run({M, N, K, kind}, X, W, b, Y);
  }
  void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M, int64_t N,
                            int64_t K, bool accumulate) override {
    plans_.run({M, N, K, accumulate ? cpu::GemmKind::kBackwardDataAcc : cpu::GemmKind::kBackwardData},
               dY, W, nullptr, dX);
  }
  void linear_backward_weights(const float* dY, const float* X, float* dW, float* db, int64_t M,
                               int64_t N, int64_t K) override {
    plans_.run({M, N, K, cpu::GemmKind::kBackwardWeights}, dY, X, nullptr, dW);
    if (db) column_sums(dY, db, M, N);
  }

  void relu_backward(const float* Y, float* dY, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) dY[i] = Y[i] > 0.f ? dY[i] : 0.f;
  }
  void add_scaled(const float* x, float a, const float* z, float* out, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] + a * z[i];
  }
  void axpy(float a, const float* x, float* y, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
  }

  double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t M, int64_t C,
                               float* dlogits, int64_t* correct) override {
    double total = 0;
    int64_t hits = 0;
#pragma omp parallel for reduction(+ : total, hits) if (M * C > kParallelThreshold)
    for (int64_t m = 0; m < M; ++m) {
      const float* row = logits + m * C;
      float max = row[0];
      int64_t arg = 0;
      for (int64_t c = 1; c < C; ++c)
        if (row[c] > max) max = row[c], arg = c;
      double sum = 0;
      for (int64_t c = 0; c < C; ++c) sum += std::exp(double(row[c] - max));
      const double log_sum = std::log(sum) + double(max);
      total += log_sum - double(row[labels[m]]);
      hits += arg == labels[m];
      if (dlogits) {
        const double inv_m = 1.0 / double(M);
        for (int64_t c = 0; c < C; ++c)
          dlogits[m * C + c] = float(
              (std::exp(double(row[c]) - log_sum) - (c == labels[m] ? 1.0 : 0.0)) * inv_m);
      }
    }
    if (correct) *correct = hits;
    return total / double(M);
  }
  double sum_squares(const float* x, int64_t n) override {
    double acc = 0;
#pragma omp parallel for simd reduction(+ : acc) if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(x[i]);
    return acc;
  }
  double dot(const float* x, const float* y, int64_t n) override {
    double acc = 0;
#pragma omp parallel for simd reduction(+ : acc) if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(y[i]);
    return acc;
  }
  void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr, float momentum,
                    float grad_scale) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) {
      v[i] = momentum * v[i] + grad_scale * g[i];
      w[i] -= lr * v[i];
    }
  }

 private:
  void apply_relu(float* Y, int64_t n) {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) Y[i] = Y[i] > 0.f ? Y[i] : 0.f;
  }
  void column_sums(const float* dY, float* db, int64_t M, int64_t N) {
#pragma omp parallel for if (M * N > kParallelThreshold)
    for (int64_t n0 = 0; n0 < N; n0 += 16) {
      const int64_t n1 = n0 + 16 < N ? n0 + 16 : N;
      float acc[16] = {0};
      for (int64_t m = 0; m < M; ++m)
        for (int64_t n = n0; n < n1; ++n) acc[n - n0] += dY[m * N + n];
      for (int64_t n = n0; n < n1; ++n) db[n] = acc[n - n0];
    }
  }

  cpu::MatmulPlans plans_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace layerprune
