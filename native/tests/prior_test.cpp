// The prior terms of ALGORITHM.md section 2-3 against finite differences of the
// objective's prior term, and the tau/lambda relation.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "method/prior.h"

namespace layerprune {
namespace {

const prior::Terms kTerms{0.7, 1e-3, 500.0};

TEST(Prior, ThetaGradientMatchesFiniteDifferences) {
  for (double theta : {0.01, 0.3, 0.5, 0.99, 1.0})
    for (double norm2 : {0.0, 0.05, 1.0, 30.0}) {
      const int64_t n = 64;
      const double h = 1e-6;
      const double numeric =
          (prior::value(kTerms, n, theta + h, norm2) - prior::value(kTerms, n, theta - h, norm2)) / (2 * h);
      EXPECT_NEAR(prior::theta_gradient(kTerms, n, theta, norm2), numeric, 1e-6 * (1 + std::fabs(numeric)))
          << "theta " << theta << " norm2 " << norm2;
    }
}

TEST(Prior, WeightGradientMatchesFiniteDifferences) {
  // J(W) = value(theta, ||W||^2); dJ/dW_i = coefficient * W_i.
  std::vector<double> W = {0.3, -1.2, 0.05, 2.0, -0.7, 0.0};
  const int64_t n = static_cast<int64_t>(W.size());
  auto norm2 = [&]() {
    double s = 0;
    for (double w : W) s += w * w;
    return s;
  };
  for (double theta : {0.2, 1.0}) {
    const double c = prior::weight_coefficient(kTerms, n, theta, norm2());
    for (size_t i = 0; i < W.size(); ++i) {
      const double saved = W[i], h = 1e-6;
      W[i] = saved + h;
      const double up = prior::value(kTerms, n, theta, norm2());
      W[i] = saved - h;
      const double down = prior::value(kTerms, n, theta, norm2());
      W[i] = saved;
      EXPECT_NEAR(c * W[i], (up - down) / (2 * h), 1e-7) << i;
    }
  }
}

TEST(Prior, TauIsThePriorForceAtThetaOne) {
  const int64_t n = 65536;
  const double norm2 = 12.0;
  EXPECT_NEAR(prior::tau(kTerms, n, norm2), prior::theta_gradient(kTerms, n, 1.0, norm2), 1e-15);
  // For ||W||^2 >> beta, tau -> lambda n / 2N.
  EXPECT_NEAR(prior::tau(kTerms, 10, 1e9), 0.7 * 10 / 1000.0, 1e-9);
  // lambda = 2 N tau / max n: the largest section then has tau_max ~ tau.
  const double lambda = prior::lambda_for_tau(0.004, 60000, n);
  EXPECT_NEAR(lambda * n / (2.0 * 60000), 0.004, 1e-15);
}

TEST(Prior, ForceGrowsAsThetaFalls) {
  // The domain of attraction near 0 (section 3): the prior push is larger at small theta.
  EXPECT_GT(prior::theta_gradient(kTerms, 100, 0.05, 1.0), prior::theta_gradient(kTerms, 100, 0.9, 1.0));
}

}  // namespace
}  // namespace layerprune
