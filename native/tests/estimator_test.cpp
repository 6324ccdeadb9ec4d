// The two-point estimator against the exact expectation over all 2^L gate patterns:
// unbiased at every fraction, so its Monte-Carlo mean must sit within 4 standard
// errors of the exact value, on untrained and trained networks and at theta values
// near 0, in the middle and near 1.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "layerprune/api.h"
#include "method/estimator.h"
#include "method/estimator_check.h"
#include "method/exact.h"
#include "method/trainer.h"
#include "test_util.h"

namespace layerprune {
namespace {

using McResult = EstimatorStats;

McResult monte_carlo(Network& m, ThetaEstimator& est, int64_t rows, int samples, uint64_t seed) {
  return sample_estimator(m, est, rows, samples, seed);
}

void train_briefly(Network& m, const Dataset& data) {
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.lambda = 0.0;
  c.eta_theta = 0.0;  // keep theta where the test puts it
  TrainingSession t(m, c);
  for (int e = 0; e < 3; ++e) {
    const int64_t steps = t.begin_epoch(data);
    for (int64_t b = 0; b < steps; ++b) t.step(data, b);
  }
}

class TwoPointUnbiased : public ::testing::TestWithParam<std::tuple<double, bool>> {};

TEST_P(TwoPointUnbiased, MeanMatchesExactEnumeration) {
  const auto [fraction, trained] = GetParam();
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(256, 6, 3, 5, 1.5);
  if (trained) train_briefly(m, *data);
  const int64_t rows = 24;
  test::load_rows(m, *data, rows);
  auto estimator = make_two_point_estimator(fraction, 4);
  for (const std::vector<double>& thetas :
       {std::vector<double>{1.0, 1.0, 1.0, 1.0}, std::vector<double>{0.5, 0.5, 0.5, 0.5},
        std::vector<double>{0.02, 0.97, 0.3, 0.85}}) {
    for (int32_t l = 0; l < 4; ++l) m.section(l).theta = thetas[l];
    const ExactGradient exact = exact_theta_gradient(m, rows);
    const McResult mc = monte_carlo(m, *estimator, rows, 3000, 99);
    for (int32_t l = 0; l < 4; ++l) {
      // A floor on the standard error covers estimates with (near) zero variance.
      const double tol = 4.0 * std::max(mc.stderr_[l], 1e-6);
      EXPECT_NEAR(mc.mean[l], exact.data_grad[l], tol)
          << "fraction " << fraction << " theta " << thetas[l] << " section " << l;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Fractions, TwoPointUnbiased,
                         ::testing::Combine(::testing::Values(1.0, 0.25, 0.5), ::testing::Bool()));

TEST(TwoPoint, DetectsABiasedEstimator) {
  // The test above must be able to fail: the same 4-standard-error criterion, run on a real
  // biased estimator (linearized, ALGORITHM 3.3) at the same state, rejects it in at least
  // one section.
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(64, 6, 3, 5, 1.5);
  test::load_rows(m, *data, 24);
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = 0.5;
  const ExactGradient exact = exact_theta_gradient(m, 24);
  auto biased = make_linearized_estimator(false);
  const McResult mc = monte_carlo(m, *biased, 24, 3000, 7);
  int caught = 0;
  for (int32_t l = 0; l < 4; ++l)
    caught += std::fabs(mc.mean[l] - exact.data_grad[l]) > 4.0 * std::max(mc.stderr_[l], 1e-6);
  EXPECT_GT(caught, 0);
}

TEST(TwoPoint, SkipsPrunedSectionsAndCountsItsPasses) {
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 3);
  auto data = test::blobs(16, 6, 3, 5);
  test::load_rows(m, *data, 16);
  m.prune(1, 0);
  m.prune(3, 0);
  auto estimator = make_two_point_estimator(1.0, 4);
  Rng rng(1);
  std::vector<float> gates = {1, 0, 0, 0};
  m.forward(16, gates);
  std::vector<double> grad(4, 123.0);
  EstimatorContext ctx{m, gates, 16, m.loss(16, false, nullptr), rng};
  const double flops = estimator->estimate(ctx, grad);
  EXPECT_EQ(grad[1], 0.0);
  EXPECT_EQ(grad[3], 0.0);
  EXPECT_NE(grad[0], 0.0);
  EXPECT_NE(grad[2], 0.0);
  EXPECT_GT(flops, 0.0);
}

TEST(ScoreFunction, MeanMatchesExactEnumeration) {
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(64, 6, 3, 5, 1.5);
  test::load_rows(m, *data, 24);
  for (const std::vector<double>& thetas :
       {std::vector<double>{0.5, 0.5, 0.5, 0.5}, std::vector<double>{0.05, 0.9, 0.3, 0.7}}) {
    for (int32_t l = 0; l < 4; ++l) m.section(l).theta = thetas[l];
    const ExactGradient exact = exact_theta_gradient(m, 24);
    auto estimator = make_score_function_estimator();
    const McResult mc = monte_carlo(m, *estimator, 24, 20000, 5);
    for (int32_t l = 0; l < 4; ++l)
      EXPECT_NEAR(mc.mean[l], exact.data_grad[l], 4.0 * mc.stderr_[l]) << "theta " << thetas[l] << " section " << l;
  }
}

// Exact expectation of a biased estimator over all gate patterns (it may be
// deterministic given the gates, so enumeration replaces Monte Carlo).
std::vector<double> enumerate_expectation(Network& m, ThetaEstimator& est, int64_t rows) {
  const int32_t L = m.sections();
  std::vector<double> mean(L, 0.0), grad(L), directional(L);
  std::vector<float> gates(L);
  Rng rng(1);
  for (uint32_t p = 0; p < (1u << L); ++p) {
    double prob = 1.0;
    for (int32_t l = 0; l < L; ++l) {
      gates[l] = (p >> l) & 1u ? 1.f : 0.f;
      prob *= gates[l] != 0.f ? m.section(l).theta : 1.0 - m.section(l).theta;
    }
    if (prob == 0.0) continue;
    m.forward(rows, gates);
    const double loss = m.loss(rows, true, nullptr);
    m.backward(rows, gates, est.directional_need(), &directional);
    EstimatorContext ctx{m, gates, rows, loss, rng, &directional};
    est.estimate(ctx, grad);
    for (int32_t l = 0; l < L; ++l) mean[l] += prob * grad[l];
  }
  return mean;
}

TEST(Linearized, ExpectationIsTheFirstOrderTermNotTheExactGradient) {
  // The linearized estimators are biased (ALGORITHM 3.3-3.4). On this fixed case
  // their expectation differs from the exact gradient by a clear margin, while at
  // theta = 1 the linearized value is exactly the directional derivative of the loss.
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(64, 6, 3, 5, 1.5);
  test::load_rows(m, *data, 24);
  const std::vector<double> thetas = {0.5, 0.8, 0.3, 0.6};
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = thetas[l];
  const ExactGradient exact = exact_theta_gradient(m, 24);
  auto linearized = make_linearized_estimator(false);
  auto skip = make_linearized_estimator(true);
  const std::vector<double> lin = enumerate_expectation(m, *linearized, 24);
  const std::vector<double> lin_skip = enumerate_expectation(m, *skip, 24);
  double max_rel_lin = 0, max_rel_skip = 0, scale = 0;
  for (int32_t l = 0; l < 4; ++l) scale = std::max(scale, std::fabs(exact.data_grad[l]));
  for (int32_t l = 0; l < 4; ++l) {
    max_rel_lin = std::max(max_rel_lin, std::fabs(lin[l] - exact.data_grad[l]) / scale);
    max_rel_skip = std::max(max_rel_skip, std::fabs(lin_skip[l] - exact.data_grad[l]) / scale);
    // linearized-skip's importance weight makes its expectation the conditional
    // E[<delta, B> | xi_l = 1]: the linearized value restricted to xi_l = 1.
  }
  RecordProperty("linearized_max_relative_bias", std::to_string(max_rel_lin));
  RecordProperty("linearized_skip_max_relative_bias", std::to_string(max_rel_skip));
  std::printf("linearized max relative bias %.4f, linearized-skip %.4f\n", max_rel_lin, max_rel_skip);
  // The bias is the enumerated expectation minus the exact gradient, both computed exactly.
  // The estimator as the trainer runs it (Monte-Carlo draws of xi) must have that
  // expectation: its mean sits within 4 standard errors of the enumerated value and, where
  // the bias is larger than that, away from the exact gradient (it is biased, not noisy).
  for (ThetaEstimator* est : {linearized.get(), skip.get()}) {
    const std::vector<double>& expectation = est == linearized.get() ? lin : lin_skip;
    const McResult mc = monte_carlo(m, *est, 24, 4000, 3);
    int biased = 0;
    for (int32_t l = 0; l < 4; ++l) {
      const double tol = 4.0 * std::max(mc.stderr_[l], 1e-7);
      EXPECT_NEAR(mc.mean[l], expectation[l], tol) << est->name() << " section " << l;
      biased += std::fabs(expectation[l] - exact.data_grad[l]) > 2 * tol &&
                std::fabs(mc.mean[l] - exact.data_grad[l]) > tol;
    }
    EXPECT_GT(biased, 0) << est->name() << " should be measurably biased here";
  }
  EXPECT_GT(max_rel_lin, 0.05);
  EXPECT_GT(max_rel_skip, 0.05);

  // Finite-difference check of the first-order term itself at all-ones gates:
  // d/dxi_l of the loss with zbar_l = xi_l B_l. ReLU kinks make the loss only
  // piecewise smooth in xi, so the step is small and the tolerance a few percent.
  std::vector<float> ones = {1, 1, 1, 1};
  std::vector<double> directional(4);
  m.forward(24, ones);
  m.loss(24, true, nullptr);
  m.backward(24, ones, Network::kAllLive, &directional);
  for (int32_t l = 0; l < 4; ++l) {
    const float h = 2e-3f;
    std::vector<float> up = ones, down = ones;
    up[l] += h;
    down[l] -= h;
    m.forward(24, up);
    const double lu = m.loss(24, false, nullptr);
    m.forward(24, down);
    const double ld = m.loss(24, false, nullptr);
    EXPECT_NEAR(directional[l], (lu - ld) / (2 * h), 2e-3 + 4e-2 * std::fabs(directional[l])) << l;
  }
}

TEST(Estimators, EveryKindIsBuiltAndUnknownKindsFail) {
  EXPECT_STREQ(make_estimator(ESTIMATOR_TWO_POINT, 0.25, 0.05, 4)->name(), "two-point");
  EXPECT_STREQ(make_estimator(ESTIMATOR_SCORE_FUNCTION, 0.25, 0.05, 4)->name(), "score-function");
  EXPECT_STREQ(make_estimator(ESTIMATOR_LINEARIZED, 0.25, 0.05, 4)->name(), "linearized");
  EXPECT_STREQ(make_estimator(ESTIMATOR_LINEARIZED_SKIP, 0.25, 0.05, 4)->name(), "linearized-skip");
  EXPECT_THROW(make_estimator(17, 0.25, 0.05, 4), Error);
  EXPECT_THROW(make_two_point_estimator(0.0, 4), Error);
}

}  // namespace
}  // namespace layerprune
