// The trainer's fused optimizer step (method/trainer.cpp: one norm pass and one update pass per
// parameter tensor) held to the formula of ALGORITHM.md section 5 written out by hand:
//   G_p   = g_p + c_p W_p     c_p = weight_decay on W_rest, the prior's coefficient on W_l, else 0
//   s     = min(1, clip / ||G||),   v_p <- momentum v_p + s G_p,   W_p <- W_p - eta_W v_p
// with g_p the data gradient the step leaves in ParamRef::g (the fused step never adds the decay
// into it) and the prior's coefficient from the weights and thetas before the step.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "method/prior.h"
#include "method/trainer.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

struct Case {
  const char* name;
  Architecture arch;
  int64_t dim;
};

TEST(OptimizerStep, FusedDecayPriorClipAndMomentumFollowTheFormula) {
  const Case cases[] = {
      {"residual mlp", test::small_arch(12, 16, 3, 4), 12},
      // BN sections: W_l is both convolutions' filters, BN scale and shift excluded.
      {"resnet", test::conv_arch({1, 6, 6}, 4, {{4, 2, 1}, {8, 1, 2}}, 4), 36},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(k.name);
    Network m(make_reference_backend(), k.arch, 5);
    const auto data = test::blobs(16, k.dim, 4, 2);
    TrainConfig c = default_train_config(k.arch.family == Family::kResNet ? FAMILY_RESNET : FAMILY_MLP);
    c.batch_size = 16;
    c.lambda = 3.0;          // a prior pull comparable to the data gradient
    c.train_size = 0;        // N = 16
    c.weight_decay = 0.05;
    c.momentum = 0.9;
    c.clip_norm = 0.05;      // small enough to clip
    c.schedule = SCHEDULE_CONSTANT;
    c.eta_w = 0.1;
    c.theta0 = 0.7;
    c.augment_pad = c.augment_flip = 0;
    c.total_steps = 10;
    TrainingSession session(m, c);
    ASSERT_EQ(session.begin_epoch(*data), 1);

    const int32_t L = m.sections();
    const std::vector<double> scale = prior_scales(m, c.prior_scaling);
    std::vector<double> theta(static_cast<size_t>(L)), norm2(static_cast<size_t>(L));
    for (int32_t l = 0; l < L; ++l) theta[l] = m.gate(l).theta, norm2[l] = m.section_weight_norm2(l);
    const std::vector<float> w0 = test::all_weights(m);
    const std::vector<float> v0 = test::all_params(m, &ParamRef::v);
    const StepStats stats = session.step(*data, 0);
    const std::vector<float> g = test::all_gradients(m);
    const std::vector<float> w1 = test::all_weights(m);
    const std::vector<float> v1 = test::all_params(m, &ParamRef::v);

    std::vector<double> coefficient;  // c_p per element
    int prior_tensors = 0, decayed_tensors = 0;
    for (const ParamRef& p : m.params()) {
      double cp = 0.0;
      if (p.decayed) {
        cp = c.weight_decay, ++decayed_tensors;
      } else if (p.prior_section >= 0) {
        const int32_t l = p.prior_section;
        const prior::Terms terms{c.lambda * scale[l], c.s2, double(data->count)};
        cp = prior::weight_coefficient(terms, m.section_weights(l), theta[l], norm2[l]), ++prior_tensors;
      }
      coefficient.insert(coefficient.end(), static_cast<size_t>(p.n), cp);
    }
    EXPECT_GT(prior_tensors, 0);
    EXPECT_GT(decayed_tensors, 0);
    double sum = 0.0;
    std::vector<double> full(g.size());
    for (size_t i = 0; i < g.size(); ++i) {
      full[i] = double(g[i]) + coefficient[i] * double(w0[i]);
      sum += full[i] * full[i];
    }
    const double norm = std::sqrt(sum);
    // Float sums of g + c w, each rounded once (2^-24 relative), then squared and added in double.
    EXPECT_NEAR(stats.grad_norm, norm, 1e-6 * norm);
    const double s = norm > c.clip_norm ? c.clip_norm / norm : 1.0;
    ASSERT_LT(s, 1.0) << "the case must clip";
    for (size_t i = 0; i < g.size(); ++i) {
      const double v = c.momentum * double(v0[i]) + s * full[i];
      const double w = double(w0[i]) - c.eta_w * v;
      // A handful of float operations on values of order |w|, |v|: a few ulps.
      ASSERT_NEAR(v1[i], v, 1e-6 * (std::fabs(v) + 1e-3)) << "momentum of element " << i;
      ASSERT_NEAR(w1[i], w, 1e-6 * (std::fabs(w) + 1e-3)) << "weight of element " << i;
    }
  }
}

}  // namespace
}  // namespace layerprune
