// The CPU backend: GEMMs on oneDNN matmul (planned once per shape), elementwise
// work and reductions as OpenMP loops on the same thread pool oneDNN uses.
#include <cmath>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <vector>
#include <new>

#include <omp.h>

#include "backend/backend.h"
#include "backend/cpu_dnnl/conv_plans.h"
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
  void set_precision(Precision p) override {
    precision_name(p);  // validates
    if (p == PRECISION_BF16) {
      const char* lacking = cpu_bf16_unsupported_reason();
      require(*lacking == '\0', "cannot train or run in bf16 on this machine: ", lacking);
    }
    precision_ = p;  // plans are keyed by precision: the other precision's stay for a switch back
  }

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
      plans_.run({M, N, K, cpu::GemmKind::kForwardNoBias, bf16()}, X, W, nullptr, Y);
      apply_relu(Y, M * N);
      return;
    }
    plans_.run({M, N, K, kind, bf16()}, X, W, b, Y);
  }
  void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M, int64_t N,
                            int64_t K, bool accumulate) override {
    plans_.run({M, N, K, accumulate ? cpu::GemmKind::kBackwardDataAcc : cpu::GemmKind::kBackwardData, bf16()},
               dY, W, nullptr, dX);
  }
  void linear_backward_weights(const float* dY, const float* X, float* dW, float* db, int64_t M,
                               int64_t N, int64_t K) override {
    plans_.run({M, N, K, cpu::GemmKind::kBackwardWeights, bf16()}, dY, X, nullptr, dW);
    if (db) column_sums(dY, db, M, N);
  }

  void linear_backward(const float* dY, const float* X, const float* W, float* dW, float* db, float* dX, int64_t M,
                       int64_t N, int64_t K, bool accumulate) override {
    plans_.run_backward(M, N, K, bf16(), accumulate, dY, X, W, dW, dX);
    if (db) column_sums(dY, db, M, N);
  }

  void conv_forward(const ConvGeometry& g, const float* x, const float* w, float* y) override {
    convs_.forward({g, bf16()}, x, w, y);
  }
  void conv_backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                          bool accumulate) override {
    const float* out = convs_.backward_data({g, bf16()}, dy, w, dx, accumulate);
    if (accumulate) axpy(1.f, out, dx, g.N * g.H * g.W * g.C);
  }
  void conv_backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw) override {
    convs_.backward_weights({g, bf16()}, dy, x, dw);
  }
  void conv_backward(const ConvGeometry& g, const float* dy, const float* x, const float* w, float* dw, float* dx,
                     bool accumulate) override {
    const float* out = convs_.backward({g, bf16()}, dy, x, w, dw, dx, accumulate);
    if (accumulate) axpy(1.f, out, dx, g.N * g.H * g.W * g.C);
  }

  void batchnorm_forward(const float* x, float* y, int64_t rows, int64_t C, const float* gamma, const float* beta,
                         float* mean, float* var, float* running_mean, float* running_var, float momentum,
                         bool training, float eps, bool relu) override {
    const float* m = running_mean;
    const float* v = running_var;
    if (training) {
      channel_moments(x, rows, C, mean, var);
      if (running_mean) {
        const float unbias = rows > 1 ? float(rows) / float(rows - 1) : 1.f;
        for (int64_t c = 0; c < C; ++c) {
          running_mean[c] = (1.f - momentum) * running_mean[c] + momentum * mean[c];
          running_var[c] = (1.f - momentum) * running_var[c] + momentum * var[c] * unbias;
        }
      }
      m = mean;
      v = var;
    }
    ensure_channels(C);
    float* scale = scale_.data();
    float* shift = shift_.data();
    for (int64_t c = 0; c < C; ++c) {
      scale[c] = gamma[c] / std::sqrt(v[c] + eps);
      shift[c] = beta[c] - m[c] * scale[c];
    }
    if (relu)
      normalize_rows(x, y, rows, C, scale, shift, [](float t) { return t > 0.f ? t : 0.f; });
    else
      normalize_rows(x, y, rows, C, scale, shift, [](float t) { return t; });
  }

  void batchnorm_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma,
                          const float* mean, const float* var, float* dgamma, float* dbeta, float eps,
                          const float* relu_y) override {
    if (relu_y)  // the ReLU's backward folded into both passes: dy where relu_y > 0, else 0
      batchnorm_backward_rows(x, dx, rows, C, gamma, mean, var, dgamma, dbeta, eps,
                              [relu_y, dy](int64_t i) { return relu_masked(dy[i], relu_y[i]); });
    else
      batchnorm_backward_rows(x, dx, rows, C, gamma, mean, var, dgamma, dbeta, eps,
                              [dy](int64_t i) { return dy[i]; });
  }

  // dy where y > 0, else +0, without a branch: written as `y > 0 ? dy : 0` inside batch norm's
  // loops GCC emits a compare and jump per element (scalar; measured 15x slower than the loop
  // without the mask on a random mask). y is a ReLU's output, so it is never NaN, and for every
  // other float y > 0 exactly when its bits, read as a signed integer, are > 0.
  static float relu_masked(float dy, float y) {
    int32_t y_bits;
    uint32_t dy_bits;
    std::memcpy(&y_bits, &y, sizeof y);
    std::memcpy(&dy_bits, &dy, sizeof dy);
    dy_bits &= static_cast<uint32_t>(-static_cast<int32_t>(y_bits > 0));
    float out;
    std::memcpy(&out, &dy_bits, sizeof out);
    return out;
  }

  // y = post(x * scale + shift) per channel: one read of x and one write of y.
  template <typename Post>
  static void normalize_rows(const float* x, float* y, int64_t rows, int64_t C, const float* scale,
                             const float* shift, Post post) {
#pragma omp parallel for if (rows * C > kParallelThreshold)
    for (int64_t i = 0; i < rows; ++i)
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) y[i * C + c] = post(x[i * C + c] * scale[c] + shift[c]);
  }

  // Batch norm's backward with the incoming gradient read through `grad(i)` (dy, or dy masked
  // by a ReLU), so the mask costs no pass of its own.
  template <typename Grad>
  void batchnorm_backward_rows(const float* x, float* dx, int64_t rows, int64_t C, const float* gamma,
                               const float* mean, const float* var, float* dgamma, float* dbeta, float eps,
                               Grad grad) {
    ensure_channels(C);
    float* inv = scale_.data();
    for (int64_t c = 0; c < C; ++c) inv[c] = 1.f / std::sqrt(var[c] + eps);
    // Per-channel sums of dy and dy * xhat, per thread, then combined.
    const double* sums = channel_sums(rows, C, [&](int64_t i, int64_t c, double* local) {
      const double d = grad(i * C + c);
      local[c] += d;
      local[C + c] += d * (double(x[i * C + c]) - mean[c]) * inv[c];
    });
    float* a = shift_.data();  // dx = a * (dy - b - xhat * c)
    float* bc = bc_.data();
    for (int64_t c = 0; c < C; ++c) {
      dbeta[c] = float(sums[c]);
      dgamma[c] = float(sums[C + c]);
      a[c] = gamma[c] * inv[c];
      bc[c] = float(sums[c] / double(rows));
      bc[C + c] = float(sums[C + c] / double(rows));
    }
#pragma omp parallel for if (rows * C > kParallelThreshold)
    for (int64_t i = 0; i < rows; ++i)
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float xhat = (x[i * C + c] - mean[c]) * inv[c];
        dx[i * C + c] = a[c] * (grad(i * C + c) - bc[c] - xhat * bc[C + c]);
      }
  }

  void global_avgpool_forward(const float* x, float* y, int64_t N, int64_t spatial, int64_t C) override {
#pragma omp parallel for if (N * spatial * C > kParallelThreshold)
    for (int64_t n = 0; n < N; ++n) {
      float* out = y + n * C;
      for (int64_t c = 0; c < C; ++c) out[c] = 0.f;
      for (int64_t s = 0; s < spatial; ++s)
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) out[c] += x[(n * spatial + s) * C + c];
      for (int64_t c = 0; c < C; ++c) out[c] /= float(spatial);
    }
  }
  void global_avgpool_backward(const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) override {
    const float inv = 1.f / float(spatial);
#pragma omp parallel for if (N * spatial * C > kParallelThreshold)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t s = 0; s < spatial; ++s)
#pragma omp simd
        for (int64_t c = 0; c < C; ++c) dx[(n * spatial + s) * C + c] = dy[n * C + c] * inv;
  }

  // Max pooling as OpenMP loops: NHWC with channels innermost vectorises, and the
  // argmax index makes the backward a scatter without recomputation. Windows that do not
  // overlap (2x2/2) leave every input element at most one source, so the scatter runs in
  // parallel over outputs; overlapping ones (3x3/2) scatter image by image, each image's
  // outputs in order, so sums are the same on any thread count.
  void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) override {
    const int64_t P = g.P(), Q = g.Q(), H = g.H, W = g.W, C = g.C;
#pragma omp parallel for collapse(2) if (g.N * H * W * C > kParallelThreshold)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t p = 0; p < P; ++p)
        for (int64_t q = 0; q < Q; ++q) {
          const int64_t o = ((n * P + p) * Q + q) * C;
          const int64_t h0 = std::max<int64_t>(p * g.stride - g.pad, 0), w0 = std::max<int64_t>(q * g.stride - g.pad, 0);
          const int64_t h1 = std::min<int64_t>(p * g.stride - g.pad + g.kernel, H);
          const int64_t w1 = std::min<int64_t>(q * g.stride - g.pad + g.kernel, W);
          const int64_t first = ((n * H + h0) * W + w0) * C;
          for (int64_t c = 0; c < C; ++c) {
            y[o + c] = x[first + c];
            argmax[o + c] = static_cast<int32_t>(first + c);
          }
          for (int64_t h = h0; h < h1; ++h)
            for (int64_t w = w0; w < w1; ++w) {
              const int64_t i = ((n * H + h) * W + w) * C;
              for (int64_t c = 0; c < C; ++c)
                if (x[i + c] > y[o + c]) y[o + c] = x[i + c], argmax[o + c] = static_cast<int32_t>(i + c);
            }
        }
  }
  void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) override {
    fill(dx, 0.f, g.N * g.H * g.W * g.C);
    const int64_t per_image = g.P() * g.Q() * g.C, outputs = g.N * per_image;
    if (!g.overlapping()) {
#pragma omp parallel for simd if (outputs > kParallelThreshold)
      for (int64_t o = 0; o < outputs; ++o) dx[argmax[o]] += dy[o];
      return;
    }
#pragma omp parallel for if (outputs > kParallelThreshold)
    for (int64_t n = 0; n < g.N; ++n)
      for (int64_t o = n * per_image; o < (n + 1) * per_image; ++o) dx[argmax[o]] += dy[o];
  }

  void relu_forward(const float* x, float* y, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
  }

  void relu_backward(const float* Y, float* dY, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) dY[i] = Y[i] > 0.f ? dY[i] : 0.f;
  }
  void add_scaled(const float* x, float a, const float* z, float* out, int64_t n, bool relu) override {
    if (relu) {
#pragma omp parallel for simd if (n > kParallelThreshold)
      for (int64_t i = 0; i < n; ++i) {
        const float v = x[i] + a * z[i];
        out[i] = v > 0.f ? v : 0.f;
      }
      return;
    }
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) out[i] = x[i] + a * z[i];
  }
  void axpy(float a, const float* x, float* y, int64_t n) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
  }

  void add_channel_bias(float* y, const float* bias, int64_t rows, int64_t C, bool relu) override {
#pragma omp parallel for if (rows * C > kParallelThreshold)
    for (int64_t i = 0; i < rows; ++i) {
      float* row = y + i * C;
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) {
        const float v = row[c] + bias[c];
        row[c] = relu && v < 0.f ? 0.f : v;
      }
    }
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
  double decayed_sum_squares(const float* g, const float* w, float decay, int64_t n) override {
    if (decay == 0.f) return sum_squares(g, n);  // w is not read
    double acc = 0;
#pragma omp parallel for simd reduction(+ : acc) if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) {
      const float d = g[i] + decay * w[i];
      acc += double(d) * double(d);
    }
    return acc;
  }
  void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr, float momentum, float grad_scale,
                    float decay) override {
#pragma omp parallel for simd if (n > kParallelThreshold)
    for (int64_t i = 0; i < n; ++i) {
      const float d = g[i] + decay * w[i];
      v[i] = momentum * v[i] + grad_scale * d;
      w[i] -= lr * v[i];
    }
  }

 private:
  bool bf16() const { return precision_ == PRECISION_BF16; }
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

  // Per-channel statistics of x (rows, C): biased mean and variance, in double.
  void channel_moments(const float* x, int64_t rows, int64_t C, float* mean, float* var) {
    const double* sums = channel_sums(rows, C, [&](int64_t i, int64_t c, double* local) {
      const double v = x[i * C + c];
      local[c] += v;
      local[C + c] += v * v;
    });
    for (int64_t c = 0; c < C; ++c) {
      const double m = sums[c] / double(rows);
      mean[c] = float(m);
      var[c] = float(std::max(0.0, sums[C + c] / double(rows) - m * m));
    }
  }
  // Two per-channel sums over rows, accumulated per thread in preallocated partials
  // (no allocation once the widest layer has been seen) and combined in order, so
  // the result does not depend on thread timing.
  template <typename Accumulate>
  const double* channel_sums(int64_t rows, int64_t C, Accumulate accumulate) {
    const int threads = omp_get_max_threads();
    const size_t need = static_cast<size_t>((threads + 1) * 2 * C);
    if (partials_.size() < need) partials_.resize(need);
    double* partials = partials_.data();
    std::fill(partials, partials + need, 0.0);
#pragma omp parallel num_threads(threads) if (rows * C > kParallelThreshold)
    {
      double* local = partials + static_cast<size_t>(omp_get_thread_num() + 1) * 2 * C;
      const int nt = omp_get_num_threads(), t = omp_get_thread_num();
      const int64_t begin = rows * t / nt, end = rows * (t + 1) / nt;  // static split: deterministic
      for (int64_t i = begin; i < end; ++i)
        for (int64_t c = 0; c < C; ++c) accumulate(i, c, local);
    }
    for (int t = 1; t <= threads; ++t)
      for (int64_t c = 0; c < 2 * C; ++c) partials[c] += partials[static_cast<size_t>(t) * 2 * C + c];
    return partials;
  }

  void ensure_channels(int64_t C) {
    if (int64_t(scale_.size()) < C) {
      scale_.resize(static_cast<size_t>(C));
      shift_.resize(static_cast<size_t>(C));
      bc_.resize(static_cast<size_t>(2 * C));
    }
  }

  cpu::MatmulPlans plans_;
  cpu::ConvPlans convs_;
  // Small per-channel scratch, grown to the widest layer once.
  std::vector<float> scale_, shift_, bc_;
  std::vector<double> partials_;
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }

}  // namespace layerprune
