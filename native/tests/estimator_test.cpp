// The two-point estimator against the exact expectation over all 2^L gate patterns:
// unbiased at every fraction, so its Monte-Carlo mean must sit within 4 standard
// errors of the exact value, on untrained and trained networks and at theta values
// near 0, in the middle and near 1.
#include <gtest/gtest.h>

#include <cmath>

#include "layerprune/api.h"
#include "method/estimator.h"
#include "method/exact.h"
#include "method/trainer.h"
#include "test_util.h"

namespace layerprune {
namespace {

struct McResult {
  std::vector<double> mean, stderr_;
};

McResult monte_carlo(ResidualMlp& m, ThetaEstimator& est, int64_t rows, int samples, uint64_t seed) {
  const int32_t L = m.sections();
  Rng rng(seed);
  std::vector<float> gates(L);
  std::vector<double> grad(L), sum(L, 0.0), sum2(L, 0.0);
  for (int s = 0; s < samples; ++s) {
    for (int32_t l = 0; l < L; ++l)
      gates[l] = !m.section(l).pruned && rng.bernoulli(m.section(l).theta) ? 1.f : 0.f;
    m.forward(rows, gates);
    const double loss = m.loss(rows, false, nullptr);
    EstimatorContext ctx{m, gates, rows, loss, rng};
    est.estimate(ctx, grad);
    for (int32_t l = 0; l < L; ++l) {
      sum[l] += grad[l];
      sum2[l] += grad[l] * grad[l];
    }
  }
  McResult r;
  for (int32_t l = 0; l < L; ++l) {
    const double mean = sum[l] / samples;
    const double var = std::max(0.0, sum2[l] / samples - mean * mean);
    r.mean.push_back(mean);
    r.stderr_.push_back(std::sqrt(var / samples));
  }
  return r;
}

void train_briefly(ResidualMlp& m, const Dataset& data) {
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
  ResidualMlp m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
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

TEST(TwoPoint, DetectsABiasedEstimate) {
  // The test above must be able to fail: a deliberately biased estimator (the exact
  // value scaled by 1.3) is caught by the same 4-standard-error criterion.
  ResidualMlp m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(64, 6, 3, 5, 1.5);
  test::load_rows(m, *data, 24);
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = 0.5;
  const ExactGradient exact = exact_theta_gradient(m, 24);
  auto estimator = make_two_point_estimator(1.0, 4);
  const McResult mc = monte_carlo(m, *estimator, 24, 3000, 7);
  int caught = 0;
  for (int32_t l = 0; l < 4; ++l)
    caught += std::fabs(1.3 * mc.mean[l] - exact.data_grad[l]) > 4.0 * 1.3 * mc.stderr_[l];
  EXPECT_GT(caught, 0);
}

TEST(TwoPoint, SkipsPrunedSectionsAndCountsItsPasses) {
  ResidualMlp m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 3);
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

TEST(Estimators, UnbuiltKindsFailClearly) {
  try {
    make_estimator(ESTIMATOR_LINEARIZED, 0.25, 4);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("two-point"), std::string::npos);
  }
  EXPECT_THROW(make_estimator(17, 0.25, 4), Error);
  EXPECT_THROW(make_two_point_estimator(0.0, 4), Error);
}

}  // namespace
}  // namespace layerprune
