// Theorem 3.1 of the paper as ALGORITHM.md section 2 states it: for fixed weights the
// objective J(theta) = E_xi[L] + prior is concave along every theta coordinate and so
// is minimised over [0, 1] at an endpoint; and a trained run (plain rule) ends with every
// kept theta at a vertex.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "layerprune/api.h"
#include "method/exact.h"
#include "method/prior.h"
#include "method/trainer.h"
#include "model/cost.h"
#include "test_util.h"

namespace layerprune {
namespace {

// dJ/dtheta_l along coordinate l on a grid, the other thetas fixed, computed with the code
// the trainer uses: the exact data term (exact enumeration over all gate patterns) plus the
// prior term the trainer adds (prior::theta_gradient).
std::vector<double> gradient_along(Network& m, int32_t l, int64_t rows, const prior::Terms& terms, int points) {
  std::vector<double> g;
  const double saved = m.section(l).theta;
  for (int i = 0; i <= points; ++i) {
    m.section(l).theta = double(i) / points;
    g.push_back(exact_theta_gradient(m, rows).data_grad[l] +
                prior::theta_gradient(terms, m.section_weights(l), m.section(l).theta, m.section_weight_norm2(l)));
  }
  m.section(l).theta = saved;
  return g;
}

TEST(Theorem31, ObjectiveIsConcaveInEachThetaAndMinimisedAtAVertex) {
  // Concave along theta_l <=> dJ/dtheta_l is non-increasing in theta_l. Then J's minimum over
  // [0, 1] is at an end: wherever the gradient changes sign it goes from + to -, a maximum.
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 33);
  auto data = test::blobs(64, 6, 3, 17, 1.5);
  test::load_rows(m, *data, 32);
  const std::vector<double> others = {0.3, 0.9, 0.6, 0.1};
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = others[l];
  for (double lambda : {0.0, 1.0, 50.0}) {
    const prior::Terms terms{lambda, 1e-3, 64.0};
    for (int32_t l = 0; l < 4; ++l) {
      const std::vector<double> g = gradient_along(m, l, 32, terms, 20);
      for (size_t i = 1; i < g.size(); ++i)  // float noise of the data term allowed
        EXPECT_LE(g[i], g[i - 1] + 1e-6) << "lambda " << lambda << " section " << l << " at " << i;
      for (size_t i = 1; i < g.size(); ++i)
        EXPECT_FALSE(g[i - 1] < -1e-6 && g[i] > 1e-6) << "an interior minimum at " << i << ", lambda " << lambda;
    }
  }
  // The criterion can fail: a convex term (the negated prior) makes the gradient increase.
  const prior::Terms strong{50.0, 1e-3, 64.0};
  const std::vector<double> g = gradient_along(m, 0, 32, strong, 20);
  const double data0 = exact_theta_gradient(m, 32).data_grad[0];  // constant along theta_0
  bool increases = false;
  for (size_t i = 1; i < g.size(); ++i) increases |= (2 * data0 - g[i]) > (2 * data0 - g[i - 1]) + 1e-6;
  EXPECT_TRUE(increases);
}

TEST(Theorem31, DataTermIsLinearInEachTheta) {
  // The expectation over independent Bernoullis is multilinear: with lambda = 0 the
  // second differences vanish (up to float rounding), which is the stronger statement.
  Network m(make_cpu_backend(), test::small_arch(6, 8, 3, 3), 34);
  auto data = test::blobs(64, 6, 3, 18, 1.5);
  test::load_rows(m, *data, 32);
  std::vector<double> J;
  for (int i = 0; i <= 10; ++i) {
    m.section(1).theta = i / 10.0;
    J.push_back(exact_theta_gradient(m, 32).expected_loss);
  }
  for (size_t i = 1; i + 1 < J.size(); ++i) EXPECT_NEAR(J[i - 1] - 2 * J[i] + J[i + 1], 0.0, 1e-6);
}

TEST(Theorem31, TrainedRunEndsWithEveryKeptThetaAtAVertex) {
  // Thetas start in the middle (0.5), so one that never moved fails; only kept sections are
  // looked at (a pruned one is at 0 by construction). A theta held at a vertex by its mean
  // gradient is still pushed off it by single noisy steps of eta_theta * |g| before the mean
  // (and the projection) bring it back, so the tolerance is a few such steps: three times the
  // RMS step of the section over the last 50 steps.
  Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 35);
  auto data = test::blobs(1024, 10, 4, 19, 1.2);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.lambda = 0.002;
  c.theta0 = 0.5;
  c.total_steps = 16 * (1024 / 32);
  // The vertex property is one of the objective's gradient flow: the plain rule follows the
  // estimates; the evidence rule may leave a theta where its evidence stopped.
  c.pruning_rule = PRUNING_RULE_PLAIN;
  c.eta_theta = 0.2;
  TrainingSession t(m, c);
  std::vector<std::vector<double>> steps(6);
  for (int e = 0; e < 16; ++e) {
    const int64_t n = t.begin_epoch(*data);
    for (int64_t b = 0; b < n; ++b) {
      t.step(*data, b);
      for (int32_t l = 0; l < 6; ++l) steps[l].push_back(c.eta_theta * t.theta_gradient()[l]);
    }
  }
  int kept = 0;
  for (int32_t l = 0; l < 6; ++l) {
    if (m.section(l).pruned) continue;
    ++kept;
    double ss = 0;
    for (size_t i = steps[l].size() - 50; i < steps[l].size(); ++i) ss += steps[l][i] * steps[l][i];
    const double tol = 3.0 * std::sqrt(ss / 50);
    const double theta = m.section(l).theta;  // before determinisation
    EXPECT_LE(std::min(theta, 1.0 - theta), tol) << "section " << l << " ended at theta " << theta;
  }
  EXPECT_GT(kept, 0) << "every section was pruned: nothing to check";
}

}  // namespace
}  // namespace layerprune
