// Helpers shared by the GoogleTest files: small models, synthetic data, comparisons.
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <type_traits>
#include <vector>

#include "backend/backend.h"
#include "core/rng.h"
#include "model/dataset.h"
#include "core/error.h"
#include "model/network.h"

namespace layerprune::test {

inline std::vector<double> random_doubles(size_t n, Rng& rng) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal();
  return v;
}

// d f / d x by central differences (x is a variable f reads; restored afterwards).
inline double numeric(const std::function<double()>& f, double& x, double h = 1e-6) {
  const double saved = x;
  x = saved + h;
  const double up = f();
  x = saved - h;
  const double down = f();
  x = saved;
  return (up - down) / (2 * h);
}

inline std::vector<float> random_vector(int64_t n, Rng& rng, double scale = 1.0) {
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = static_cast<float>(rng.normal() * scale);
  return v;
}

// The residual MLP input -> width stem, `sections` dense sections of `width`, head.
inline Architecture small_arch(int64_t input, int64_t width, int32_t sections, int32_t classes) {
  return mlp_architecture(input, width, std::vector<int64_t>(static_cast<size_t>(sections), width), classes);
}

// A CIFAR-style residual conv net on `input`: conv3x3-BN-ReLU stem of `stem` channels, stages
// of basic W-B-a-W sections {channels, blocks, first stride}, h = ReLU with post_activation.
struct StageDims {
  int64_t channels;
  int32_t blocks;
  int64_t stride;
};
inline Architecture conv_arch(Shape input, int64_t stem, const std::vector<StageDims>& stages, int32_t classes,
                              bool post_activation = false) {
  Architecture a;
  a.input = input;
  a.image = true;
  a.stem = conv_layer(stem, 3);
  for (const StageDims& d : stages) {
    StageSpec s;
    s.kind = SectionKind::kBasic;
    s.widths.assign(static_cast<size_t>(d.blocks), d.channels);
    s.stride = d.stride;
    s.relu_after = post_activation;
    a.stages.push_back(s);
  }
  a.classes = classes;
  a.family = Family::kResNet;
  return a;
}

// Gaussian blobs: class c has mean mu_c (random), unit noise scaled by `noise`.
inline std::unique_ptr<Dataset> blobs(int64_t count, int64_t dim, int32_t classes, uint64_t seed,
                                      double noise = 1.0) {
  Rng rng(seed);
  std::vector<std::vector<float>> means(classes);
  for (auto& m : means) m = random_vector(dim, rng, 1.0);
  std::vector<float> x(static_cast<size_t>(count * dim));
  std::vector<int32_t> y(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    y[i] = static_cast<int32_t>(rng.below(classes));
    for (int64_t d = 0; d < dim; ++d) x[i * dim + d] = means[y[i]][d] + float(rng.normal() * noise);
  }
  return std::unique_ptr<Dataset>(make_dataset(x.data(), y.data(), count, dim, classes));
}

// Copies the first `rows` samples of `data` into the model's input buffers.
inline void load_rows(GatedNetwork& model, const Dataset& data, int64_t rows) {
  model.ensure_capacity(rows);
  model.backend().to_device(model.input_buffer(), data.features.data(), sizeof(float) * rows * data.dim);
  model.backend().to_device(model.label_buffer(), data.labels.data(), sizeof(int32_t) * rows);
}

// Every weight (ParamRef::w) or gradient (ParamRef::g) of a network's parameters in params()
// order, copied to the host.
inline std::vector<float> all_params(GatedNetwork& m, float* ParamRef::*field) {
  std::vector<float> all;
  for (const ParamRef& p : m.params()) {
    std::vector<float> v(static_cast<size_t>(p.n));
    m.backend().to_host(v.data(), p.*field, sizeof(float) * v.size());
    all.insert(all.end(), v.begin(), v.end());
  }
  return all;
}
inline std::vector<float> all_weights(GatedNetwork& m) { return all_params(m, &ParamRef::w); }
inline std::vector<float> all_gradients(GatedNetwork& m) { return all_params(m, &ParamRef::g); }

// |a - b| <= atol + rtol * |b| element by element, reporting the first failure.
inline void expect_close(const std::vector<float>& a, const std::vector<float>& b, double atol,
                         double rtol, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i)
    ASSERT_LE(std::fabs(double(a[i]) - double(b[i])), atol + rtol * std::fabs(double(b[i])))
        << what << " differs at " << i << ": " << a[i] << " vs " << b[i];
}

// Backend memory for op tests: uploads host vectors, downloads results, frees all at
// the end. Mixed into a GoogleTest fixture (`Param` for parameterised suites).
template <typename Param = void>
class BackendFixture
    : public std::conditional_t<std::is_void_v<Param>, ::testing::Test, ::testing::TestWithParam<Param>> {
 protected:
  // `factory` picks the backend under test (oneDNN by default; the CUDA tests pass theirs,
  // which returns null when no GPU is there, and skip).
  explicit BackendFixture(uint64_t seed, std::unique_ptr<Backend> (*factory)() = make_cpu_backend)
      : be(factory()), rng(seed) {}
  std::unique_ptr<Backend> be;
  Rng rng;
  float* up(const std::vector<float>& host) {
    auto* p = static_cast<float*>(be->allocate(sizeof(float) * host.size()));
    be->to_device(p, host.data(), sizeof(float) * host.size());
    owned_.push_back(p);
    return p;
  }
  int32_t* up(const std::vector<int32_t>& host) {  // labels, argmax indices
    auto* p = static_cast<int32_t*>(be->allocate(sizeof(int32_t) * host.size()));
    be->to_device(p, host.data(), sizeof(int32_t) * host.size());
    owned_.push_back(p);
    return p;
  }
  std::vector<float> down(const float* p, size_t n) {
    std::vector<float> host(n);
    be->to_host(host.data(), p, sizeof(float) * n);
    return host;
  }
  void TearDown() override {
    for (void* p : owned_) be->release(p);
  }

  // A layer's two backward products in one call (linear_backward, conv_backward) give exactly
  // what the two separate calls give, in the backend's current precision: the same products of
  // the same inputs (in bf16, the one converted copy of dY both read is what each call would
  // convert), and nothing else may differ. Separate calls on another gradient run first, so that
  // a combined call reading a stale converted copy would show.
  void check_combined_linear_backward(int64_t M, int64_t N, int64_t K) {
    const auto dY = random_vector(M * N, rng), X = random_vector(M * K, rng), W = random_vector(N * K, rng),
               start = random_vector(M * K, rng), other = random_vector(M * N, rng);
    for (bool accumulate : {false, true})
      for (bool bias : {false, true}) {
        float *dW = up(std::vector<float>(N * K, 3.f)), *db = up(std::vector<float>(N, 3.f)), *dX = up(start);
        float *dW2 = up(std::vector<float>(N * K, 5.f)), *db2 = up(std::vector<float>(N, 5.f)), *dX2 = up(start);
        float *pdY = up(dY), *pX = up(X), *pW = up(W), *pother = up(other), *scratch = up(start);
        be->linear_backward_weights(pother, pX, dW, nullptr, M, N, K);
        be->linear_backward_data(pother, pW, scratch, M, N, K, accumulate);
        be->linear_backward(pdY, pX, pW, dW2, bias ? db2 : nullptr, dX2, M, N, K, accumulate);
        be->linear_backward_weights(pdY, pX, dW, bias ? db : nullptr, M, N, K);
        be->linear_backward_data(pdY, pW, dX, M, N, K, accumulate);
        expect_close(down(dW2, N * K), down(dW, N * K), 0, 0, "combined dW");
        expect_close(down(dX2, M * K), down(dX, M * K), 0, 0, "combined dX");
        if (bias) expect_close(down(db2, N), down(db, N), 0, 0, "combined db");
      }
  }
  void check_combined_conv_backward(const ConvGeometry& g) {
    const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.P() * g.Q() * g.K, nw = g.K * g.C * g.R * g.S;
    const auto x = random_vector(nx, rng), w = random_vector(nw, rng), dy = random_vector(ny, rng),
               start = random_vector(nx, rng), other = random_vector(ny, rng);
    for (bool accumulate : {false, true}) {
      float *dw = up(std::vector<float>(nw, 3.f)), *dx = up(start), *dw2 = up(std::vector<float>(nw, 5.f)),
            *dx2 = up(start), *pdy = up(dy), *px = up(x), *pw = up(w), *pother = up(other), *scratch = up(start);
      be->conv_backward_weights(g, pother, px, dw);
      be->conv_backward_data(g, pother, pw, scratch, accumulate);
      be->conv_backward(g, pdy, px, pw, dw2, dx2, accumulate);
      be->conv_backward_weights(g, pdy, px, dw);
      be->conv_backward_data(g, pdy, pw, dx, accumulate);
      expect_close(down(dw2, nw), down(dw, nw), 0, 0, "combined conv dw");
      expect_close(down(dx2, nx), down(dx, nx), 0, 0, "combined conv dx");
    }
  }

 private:
  std::vector<void*> owned_;
};

}  // namespace layerprune::test
