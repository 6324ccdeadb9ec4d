// Mixed precision (PRECISION_BF16): every matrix product of the oneDNN backend held to the
// reference, with tolerances derived from the formats, and a whole forward/backward step.
//
// The bounds. bf16 keeps 8 significand bits: rounding to nearest even has unit roundoff
// u16 = 2^-8. f32's is u32 = 2^-24. A product of two bf16 numbers (8 + 8 significand bits) is
// exact in f32, so a bf16 kernel with f32 accumulation computes the rounded inputs' sum of
// products with only the summation's rounding: |error| <= gamma_K sum |a_k b_k|, gamma_K ~ K u32
// (Higham, Accuracy and Stability, 3.1), whatever order the kernel sums in.
//  - Against the reference with the same inputs rounded (the reference backend in bf16): both
//    sides carry at most gamma_K sum|ab|, so they differ by at most 2 K u32 sum|a_k b_k|.
//  - Against the f32 reference (the unrounded product): each rounded input is a (1 + d),
//    |d| <= u16, so each product carries (2 u16 + u16^2)|ab|, plus both summations.
// Tests skip, printing why, on a CPU without AVX512-BF16 or AMX-BF16.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "backend/backend.h"
#include "backend_op_checks.h"
#include "core/error.h"
#include "model/network.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

constexpr double kU16 = 1.0 / 256.0;                // bf16 unit roundoff, 2^-8
constexpr double kU32 = 1.0 / 16777216.0;           // f32 unit roundoff, 2^-24
constexpr double kTiny = 1e-30;                     // absolute floor (denormals flushed by the hardware)

#define SKIP_WITHOUT_BF16()                                                        \
  do {                                                                             \
    const char* why = cpu_bf16_unsupported_reason();                               \
    if (*why) GTEST_SKIP() << "bf16 tests skipped: " << why;                      \
  } while (0)

TEST(Bf16Rounding, RoundsToNearestEvenAndKeepsSpecialValues) {
  using reference::round_to_bf16;
  const float one = 1.f, ulp = std::ldexp(1.f, -7);  // bf16's spacing at 1
  EXPECT_EQ(round_to_bf16(one), one);
  EXPECT_EQ(round_to_bf16(one + ulp / 2), one);               // tie: to the even neighbour (1)
  EXPECT_EQ(round_to_bf16(one + 3 * ulp / 2), one + 2 * ulp);  // tie: to the even neighbour (1 + 2 ulp)
  EXPECT_EQ(round_to_bf16(one + ulp * 0.51f), one + ulp);     // above the tie: up
  EXPECT_EQ(round_to_bf16(-(one + ulp * 0.49f)), -one);       // below the tie: down, sign kept
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::infinity()), std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  // The largest finite floats round past bf16's largest finite value, to infinity.
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::max()), std::numeric_limits<float>::infinity());
  // Every rounding stays within the unit roundoff.
  Rng rng(3);
  for (float x : test::random_vector(10000, rng, 100.0))
    ASSERT_LE(std::fabs(double(round_to_bf16(x)) - x), kU16 * std::fabs(double(x))) << x;
}

TEST(Bf16Precision, BackendsWithoutItSayWhatTheyLack) {
  std::unique_ptr<Backend> cpu = make_cpu_backend();
  EXPECT_EQ(cpu->precision(), PRECISION_FP32);
  EXPECT_THROW(cpu->set_precision(Precision(7)), Error);
  if (*cpu_bf16_unsupported_reason()) {
    try {
      cpu->set_precision(PRECISION_BF16);
      FAIL() << "bf16 accepted on a CPU without bf16 instructions";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("AVX512-BF16"), std::string::npos) << e.what();
    }
    EXPECT_EQ(cpu->precision(), PRECISION_FP32);
  } else {
    cpu->set_precision(PRECISION_BF16);
    EXPECT_EQ(cpu->precision(), PRECISION_BF16);
  }
  EXPECT_STREQ(precision_name(PRECISION_BF16), "bf16");
}

// One matrix product, three ways: the CPU in bf16, the reference in bf16 and in f32, and the
// bound of each element: sum |a_k b_k| over its K terms (the same loops with |.|).
struct ProductCheck {
  std::vector<float> fast, emulated, exact;
  std::vector<double> magnitude;
  int64_t terms = 0;

  void expect_within_bounds(const char* what) const {
    ASSERT_EQ(fast.size(), exact.size());
    double largest_vs_f32 = 0.0, largest_vs_emulated = 0.0;
    for (size_t i = 0; i < fast.size(); ++i) {
      const double m = magnitude[i], K = double(terms);
      ASSERT_LE(std::fabs(double(fast[i]) - emulated[i]), 2.0 * K * kU32 * m + kTiny)
          << what << ": element " << i << " against the bf16 reference (sum|ab| = " << m << ")";
      ASSERT_LE(std::fabs(double(fast[i]) - exact[i]), (2.0 * kU16 + kU16 * kU16 + 2.0 * K * kU32) * m + kTiny)
          << what << ": element " << i << " against the f32 reference";
      largest_vs_f32 = std::max(largest_vs_f32, std::fabs(double(fast[i]) - exact[i]));
      largest_vs_emulated = std::max(largest_vs_emulated, std::fabs(double(fast[i]) - emulated[i]));
    }
    // And the products really were bf16: the result is much closer to the bf16 reference than to
    // the f32 one (an f32 kernel would be as far from the first as from the second).
    EXPECT_GT(largest_vs_f32, 100.0 * largest_vs_emulated) << what << " looks like f32";
  }
};

class Bf16Ops : public test::BackendFixture<> {
 protected:
  Bf16Ops() : BackendFixture(11) {}
  void SetUp() override {
    SKIP_WITHOUT_BF16();
    be->set_precision(PRECISION_BF16);
    ref = make_reference_backend();
    ref->set_precision(PRECISION_BF16);
  }
  std::unique_ptr<Backend> ref;
  std::unique_ptr<Backend> f32 = make_reference_backend();
};

std::vector<float> absolute(const std::vector<float>& v) {
  std::vector<float> a(v.size());
  for (size_t i = 0; i < v.size(); ++i) a[i] = std::fabs(v[i]);
  return a;
}

TEST_F(Bf16Ops, DenseProductsAreWithinTheirBounds) {
  for (const auto& [M, N, K] : test::dense_shapes()) {
    SCOPED_TRACE(::testing::Message() << "M=" << M << " N=" << N << " K=" << K);
    const auto X = test::random_vector(M * K, rng), W = test::random_vector(N * K, rng),
               dY = test::random_vector(M * N, rng);
    const auto aX = absolute(X), aW = absolute(W), adY = absolute(dY);
    // The bound's magnitudes in double, from the same reference loops.
    auto magnitude = [](auto run, size_t n) {
      std::vector<float> m(n);
      run(m.data());
      return std::vector<double>(m.begin(), m.end());
    };
    {
      ProductCheck c;
      c.terms = K;
      float* Y = up(std::vector<float>(M * N));
      be->linear_forward(up(X), up(W), nullptr, Y, M, N, K, false);
      c.fast = down(Y, M * N);
      c.emulated.resize(M * N), c.exact.resize(M * N);
      ref->linear_forward(X.data(), W.data(), nullptr, c.emulated.data(), M, N, K, false);
      f32->linear_forward(X.data(), W.data(), nullptr, c.exact.data(), M, N, K, false);
      c.magnitude = magnitude([&](float* m) { reference::linear_forward<float>(aX.data(), aW.data(), nullptr, m, M, N, K, false); },
                              M * N);
      if (K >= 16) c.expect_within_bounds("forward");
    }
    {
      ProductCheck c;
      c.terms = N;
      float* dX = up(std::vector<float>(M * K));
      be->linear_backward_data(up(dY), up(W), dX, M, N, K, false);
      c.fast = down(dX, M * K);
      c.emulated.resize(M * K), c.exact.resize(M * K);
      ref->linear_backward_data(dY.data(), W.data(), c.emulated.data(), M, N, K, false);
      f32->linear_backward_data(dY.data(), W.data(), c.exact.data(), M, N, K, false);
      c.magnitude = magnitude(
          [&](float* m) { reference::linear_backward_data(adY.data(), aW.data(), m, M, N, K, false); }, M * K);
      if (N >= 16) c.expect_within_bounds("backward data");
    }
    {
      ProductCheck c;
      c.terms = M;
      float* dW = up(std::vector<float>(N * K));
      float* db = up(std::vector<float>(N));
      be->linear_backward_weights(up(dY), up(X), dW, db, M, N, K);
      c.fast = down(dW, N * K);
      c.emulated.resize(N * K), c.exact.resize(N * K);
      std::vector<float> db_exact(N), unused(N);
      ref->linear_backward_weights(dY.data(), X.data(), c.emulated.data(), unused.data(), M, N, K);
      f32->linear_backward_weights(dY.data(), X.data(), c.exact.data(), db_exact.data(), M, N, K);
      c.magnitude = magnitude(
          [&](float* m) { reference::linear_backward_weights<float>(adY.data(), aX.data(), m, nullptr, M, N, K); },
          N * K);
      if (M >= 16) c.expect_within_bounds("backward weights");
      // The bias gradient is a plain f32 sum of dY, not a matrix product: f32 accuracy.
      test::expect_close(down(db, N), db_exact, 1e-5, 1e-5, "bias gradient");
    }
  }
}

TEST_F(Bf16Ops, ConvolutionsAreWithinTheirBounds) {
  for (const ConvGeometry& g : test::conv_geometries()) {
    SCOPED_TRACE(::testing::Message() << "C=" << g.C << " K=" << g.K << " " << g.H << "x" << g.W << " kernel " << g.R);
    const int64_t xs = g.N * g.H * g.W * g.C, ys = g.N * g.P() * g.Q() * g.K, ws = g.K * g.C * g.R * g.S;
    const auto x = test::random_vector(xs, rng), w = test::random_vector(ws, rng), dy = test::random_vector(ys, rng);
    const auto ax = absolute(x), aw = absolute(w), ady = absolute(dy);
    auto magnitude = [](auto run, int64_t n) {
      std::vector<float> m(static_cast<size_t>(n));
      run(m.data());
      return std::vector<double>(m.begin(), m.end());
    };
    // Terms per output: C R S (forward), K R S / stride^2 at most (backward data), N P Q (weights).
    {
      ProductCheck c;
      c.terms = g.C * g.R * g.S;
      float* y = up(std::vector<float>(ys));
      be->conv_forward(g, up(x), up(w), y);
      c.fast = down(y, ys);
      c.emulated.resize(ys), c.exact.resize(ys);
      ref->conv_forward(g, x.data(), w.data(), c.emulated.data());
      f32->conv_forward(g, x.data(), w.data(), c.exact.data());
      c.magnitude = magnitude([&](float* m) { reference::conv_forward(g, ax.data(), aw.data(), m); }, ys);
      if (c.terms >= 16) c.expect_within_bounds("conv forward");
    }
    {
      ProductCheck c;
      c.terms = g.K * g.R * g.S;
      float* dx = up(std::vector<float>(xs));
      be->conv_backward_data(g, up(dy), up(w), dx, false);
      c.fast = down(dx, xs);
      c.emulated.resize(xs), c.exact.resize(xs);
      ref->conv_backward_data(g, dy.data(), w.data(), c.emulated.data(), false);
      f32->conv_backward_data(g, dy.data(), w.data(), c.exact.data(), false);
      c.magnitude = magnitude([&](float* m) { reference::conv_backward_data(g, ady.data(), aw.data(), m, false); }, xs);
      if (c.terms >= 16) c.expect_within_bounds("conv backward data");
    }
    {
      ProductCheck c;
      c.terms = g.N * g.P() * g.Q();
      float* dw = up(std::vector<float>(ws));
      be->conv_backward_weights(g, up(dy), up(x), dw);
      c.fast = down(dw, ws);
      c.emulated.resize(ws), c.exact.resize(ws);
      ref->conv_backward_weights(g, dy.data(), x.data(), c.emulated.data());
      f32->conv_backward_weights(g, dy.data(), x.data(), c.exact.data());
      c.magnitude = magnitude([&](float* m) { reference::conv_backward_weights(g, ady.data(), ax.data(), m); }, ws);
      if (c.terms >= 16) c.expect_within_bounds("conv backward weights");
    }
  }
}

// Both backward products in one call read the one bf16 copy of dY the CPU backend converts:
// exactly the separate calls' results (test_util.h check_combined_*).
TEST_F(Bf16Ops, BothBackwardProductsInOneCallEqualTheSeparateCalls) {
  for (const auto& [M, N, K] : test::dense_shapes()) {
    SCOPED_TRACE(::testing::Message() << "M=" << M << " N=" << N << " K=" << K);
    check_combined_linear_backward(M, N, K);
  }
  for (const ConvGeometry& g : test::conv_geometries()) {
    SCOPED_TRACE(::testing::Message() << "C=" << g.C << " K=" << g.K << " " << g.H << "x" << g.W << " kernel " << g.R);
    check_combined_conv_backward(g);
  }
}

// The relative L2 distance |a - b| / |b|.
double relative_distance(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0.0, n = 0.0;
  for (size_t i = 0; i < a.size(); ++i) d += (double(a[i]) - b[i]) * (double(a[i]) - b[i]), n += double(b[i]) * b[i];
  return std::sqrt(d / n);
}


// A whole training step's forward and backward (loss, every weight gradient, the directional
// terms) in bf16 against the f32 reference network. Each of the step's P matrix products adds a
// relative error of at most 2 u16 to what flows through it; independent roundings add like a
// random walk, so the step's gradient is within sqrt(P) 2 u16 of the f32 one in the L2 sense,
// times an allowance of 4 for the amplification through ReLUs, batch norm and the softmax
// (measured: a quarter of the bound or less). The f32 CPU step, for contrast, is within 1e-5.
TEST(Bf16Step, AWholeForwardAndBackwardIsWithinTheFormatsBound) {
  SKIP_WITHOUT_BF16();
  struct Case {
    const char* name;
    Architecture arch;
    int64_t rows;
  };
  const Case cases[] = {{"residual MLP", test::small_arch(64, 96, 4, 10), 64},
                        {"ResNet-8", resnet_cifar(8, {1, 12, 12}, 10), 16}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Network fast(make_cpu_backend(), c.arch, 5), exact(make_reference_backend(), c.arch, 5),
        fast32(make_cpu_backend(), c.arch, 5);
    fast.backend().set_precision(PRECISION_BF16);
    auto data = test::blobs(c.rows, c.arch.input.size(), c.arch.classes, 9, 1.5);
    const int32_t L = fast.sections();
    const std::vector<float> gates(static_cast<size_t>(L), 1.f);
    std::vector<float> grads[3];
    double loss[3];
    std::vector<double> directional[3];
    int i = 0;
    for (Network* m : {&fast, &exact, &fast32}) {
      test::load_rows(*m, *data, c.rows);
      m->forward(c.rows, gates, GatedNetwork::kProbe);
      loss[i] = m->loss(c.rows, true, nullptr);
      directional[i].resize(L);
      m->backward(c.rows, gates, GatedNetwork::kAllLive, &directional[i]);
      grads[i] = test::all_gradients(*m);
      ++i;
    }
    int64_t products = 0;
    for (const ParamRef& p : fast.params()) products += p.n >= 128;  // weight matrices (biases and BN: < 128)
    const double bound = 4.0 * std::sqrt(3.0 * double(products)) * 2.0 * kU16;  // forward + two backward per matrix
    const double error = relative_distance(grads[0], grads[1]);
    EXPECT_LE(error, bound) << "bf16 gradient vs f32 reference (" << products << " weight matrices)";
    EXPECT_GT(error, 10.0 * relative_distance(grads[2], grads[1])) << "the bf16 step looks like an f32 one";
    EXPECT_NEAR(loss[0], loss[1], bound * std::fabs(loss[1]));
    std::cout << "[ " << c.name << " ] bf16 gradient relative error " << error << " (bound " << bound
              << "), f32 CPU " << relative_distance(grads[2], grads[1]) << "\n";
  }
}

}  // namespace
}  // namespace layerprune
