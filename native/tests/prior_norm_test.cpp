// PRIOR_NORM_INITIAL (docs/ALGORITHM.md section 2): the prior reads the initialisation's expected
// ||W_l||^2, a constant, instead of the weights' current norm, so a rescaling of a batch-normalised
// body (which leaves its function unchanged) cannot lower the section's threshold, and the prior
// does not pull W_l.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "legacy/residual_mlp.h"
#include "method/trainer.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

Architecture resnet_case() { return test::conv_arch({1, 6, 6}, 4, {{4, 2, 1}, {8, 1, 2}}, 4); }

TrainConfig one_step_config(int32_t prior_norm, double lambda) {
  TrainConfig c = default_train_config(FAMILY_RESNET);
  c.batch_size = 16;
  c.lambda = lambda;
  c.train_size = 0;  // N = 16: a prior pull comparable to the data gradient
  c.prior_norm = prior_norm;
  c.schedule = SCHEDULE_CONSTANT;
  c.theta0 = 0.7;
  c.augment_pad = c.augment_flip = 0;
  c.total_steps = 10;
  return c;
}

// Weights after one training step from the same seed, data and gates.
std::vector<float> weights_after_one_step(const TrainConfig& c) {
  Network m(make_reference_backend(), resnet_case(), 5);
  const auto data = test::blobs(16, 36, 4, 2);
  TrainingSession session(m, c);
  session.begin_epoch(*data);
  session.step(*data, 0);
  return test::all_weights(m);
}

void scale_section_weights(Network& m, int32_t l, float factor) {
  for (const ParamRef& p : m.params())  // the reference backend's buffers are host memory
    if (p.prior_section == l)
      for (int64_t i = 0; i < p.n; ++i) p.w[i] *= factor;
}

// The expectation written out from the initialisation's rule (network.cpp): He, 2 / fan_in, for
// every body layer, the last one's variance divided by L. Its draw is a sum of n_j squared
// Gaussians of variance s_j: mean sum n_j s_j, variance sum 2 n_j s_j^2.
TEST(PriorNorm, InitialNormIsTheInitialisationsExpectation) {
  for (const Architecture& arch : {resnet_case(), test::small_arch(40, 64, 3, 4)}) {
    Network m(make_reference_backend(), arch, 11);
    const int32_t L = m.sections();
    for (int32_t l = 0; l < L; ++l) {
      const PlanOp& op = m.plan().section(l);
      double mean = 0.0, variance = 0.0;
      for (size_t j = 0; j < op.body.size(); ++j) {
        const double s = 2.0 / double(op.body[j].fan_in()) / (j + 1 == op.body.size() ? double(L) : 1.0);
        mean += double(op.body[j].weights()) * s;
        variance += 2.0 * double(op.body[j].weights()) * s * s;
      }
      EXPECT_NEAR(m.section_initial_norm2(l), mean, 1e-9 * mean) << "section " << l;
      EXPECT_NEAR(m.section_weight_norm2(l), mean, 6.0 * std::sqrt(variance)) << "section " << l;
    }
  }
}

TEST(PriorNorm, InitialNormThresholdIgnoresARescaledBody) {
  for (int32_t norm : {PRIOR_NORM_CURRENT, PRIOR_NORM_INITIAL}) {
    SCOPED_TRACE(norm == PRIOR_NORM_INITIAL ? "initial" : "current");
    Network m(make_reference_backend(), resnet_case(), 5);
    TrainingSession session(m, one_step_config(norm, 3.0));
    const double before = session.tau(0);
    scale_section_weights(m, 0, 0.1f);  // the body's function is unchanged under its batch norms
    const double after = session.tau(0);
    EXPECT_GT(before, 0.0);
    if (norm == PRIOR_NORM_INITIAL)
      EXPECT_EQ(after, before);
    else
      EXPECT_LT(after, 0.5 * before);  // 100-fold smaller ||W||^2, against beta = n s2
  }
}

// Under the initial norm the prior does not depend on W_l, so it must not pull it: one step with a
// strong prior leaves the same weights as one without a prior, while the contract's prior moves them.
TEST(PriorNorm, InitialNormDoesNotPullTheWeights) {
  const std::vector<float> no_prior = weights_after_one_step(one_step_config(PRIOR_NORM_CURRENT, 0.0));
  const std::vector<float> initial = weights_after_one_step(one_step_config(PRIOR_NORM_INITIAL, 3.0));
  const std::vector<float> current = weights_after_one_step(one_step_config(PRIOR_NORM_CURRENT, 3.0));
  ASSERT_EQ(initial.size(), no_prior.size());
  EXPECT_EQ(initial, no_prior);
  EXPECT_NE(current, no_prior);
}

// A network that keeps no initialisation record is refused when the session is planned, not at its
// first step.
TEST(PriorNorm, NetworkWithoutAnInitialScaleIsRefusedAtTheStart) {
  legacy::MlpArchitecture la;
  la.input = 8;
  la.stem_width = 8;
  la.section_widths = {8, 8};
  la.classes = 3;
  legacy::ResidualMlp net(make_reference_backend(), la, 3);
  TrainConfig c = default_train_config(FAMILY_MLP);
  c.prior_norm = PRIOR_NORM_INITIAL;
  try {
    TrainingSession session(net, c);
    FAIL() << "the session started without the initial scale";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("prior_norm = initial"), std::string::npos) << e.what();
  }
}

TEST(PriorNorm, ValidationNamesTheField) {
  TrainConfig c = default_train_config(FAMILY_RESNET);
  c.prior_norm = 2;
  try {
    validate(c);
    FAIL() << "prior_norm = 2 was accepted";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("prior_norm"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace layerprune
