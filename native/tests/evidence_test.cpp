// The evidence rule (method/evidence.h): its statistics on streams with known moments, and
// the pruning decisions it takes on a network whose estimates are planted: true data terms
// buried in noise, so what is pruned is known in advance.
#include <gtest/gtest.h>

#include <cmath>
#include <memory>

#include "method/evidence.h"
#include "method/prior.h"
#include "method/trainer.h"
#include "test_util.h"

namespace layerprune {
namespace {

TEST(Evidence, MeanAndStandardErrorOfAnIidStream) {
  // Gaussian estimates with mean 0.3 and sd 2: after many steps the window holds about
  // 2 * horizon effective estimates and its standard error is sd / sqrt(n_eff).
  ThetaEvidence e(1, 100, 2.0);
  Rng rng(3);
  for (int i = 0; i < 5000; ++i) e.observe(0, 0.3 + 2.0 * rng.normal(), 0.0);
  const double n = e.effective_samples(0);
  EXPECT_NEAR(n, 199.0, 1.0);  // (1 + decay) / (1 - decay) for decay 0.99
  EXPECT_NEAR(e.standard_error(0), 2.0 / std::sqrt(n), 0.2 * 2.0 / std::sqrt(n));
  EXPECT_NEAR(e.mean(0), 0.3, 4 * 2.0 / std::sqrt(n));
}

TEST(Evidence, NoTrustBeforeEnoughEstimatesAndSoftThreshold) {
  ThetaEvidence e(1, 200, 2.0);
  for (int i = 0; i < 20; ++i) e.observe(0, i % 2 ? 1.1 : 0.9, 0.0);
  EXPECT_TRUE(std::isinf(e.standard_error(0)));  // n_eff < kMinEvidence
  EXPECT_EQ(e.supported(0, 0.0), 0.0);
  for (int i = 0; i < 400; ++i) e.observe(0, i % 2 ? 1.1 : 0.9, 0.0);
  const double se = e.standard_error(0);
  ASSERT_TRUE(std::isfinite(se));
  const double m = e.mean(0);
  EXPECT_NEAR(m, 1.0, 0.01);
  EXPECT_NEAR(e.supported(0, 0.5), m + 0.5 - 2.0 * se, 1e-12);   // beyond z SE: the excess
  EXPECT_NEAR(e.supported(0, -2.5), m - 2.5 + 2.0 * se, 1e-12);  // the same downwards
  EXPECT_EQ(e.supported(0, -m + 0.5 * se), 0.0);                 // within z SE: nothing
  EXPECT_EQ(e.priority(0, -1.0), 1.0);                        // ambiguous: measure it
  EXPECT_LT(e.priority(0, 10.0), 0.2);                        // clear: less often
}

TEST(Evidence, ForgetsTheStartOfTraining) {
  // D_l changes sign early in training (docs/experiments/estimator-trace/): 40 steps of
  // +1 then -1. The window weighs the most recent quarter, so by step 400 the mean is
  // close to -1 (an all-history mean would still be at -0.8).
  ThetaEvidence e(1, 200, 2.0);
  for (int i = 0; i < 400; ++i) e.observe(0, i < 40 ? 1.0 : -1.0, 0.0);
  EXPECT_LT(e.mean(0), -0.99);
}

TEST(Evidence, SubsamplingVarianceIsAFloorAndUnknownMeansNoTrust) {
  ThetaEvidence e(1, 200, 2.0);
  for (int i = 0; i < 400; ++i) e.observe(0, 1.0, 4.0);  // constant estimates, sampling var 4
  EXPECT_NEAR(e.standard_error(0), std::sqrt(4.0 / e.effective_samples(0)), 1e-6);
  e.observe(0, 1.0, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isinf(e.standard_error(0)));
  e.observe(0, 1.0, 4.0);
  EXPECT_TRUE(std::isfinite(e.standard_error(0)));
}

TEST(Evidence, StepIsEtaPerTauCappedAndSigned) {
  EXPECT_DOUBLE_EQ(evidence_step(0.01, 0.002, 0.004), 0.005);
  EXPECT_DOUBLE_EQ(evidence_step(0.01, -0.002, 0.004), -0.005);
  EXPECT_DOUBLE_EQ(evidence_step(1.0, 1.0, 0.001), kMaxThetaStep);
  EXPECT_DOUBLE_EQ(evidence_step(0.01, 0.3, 0.0), kMaxThetaStep);  // lambda = 0
  EXPECT_DOUBLE_EQ(evidence_step(0.01, 0.0, 0.5, 0.5, 1.0), -kKeepDrift);  // in doubt: towards the rest point
  EXPECT_DOUBLE_EQ(evidence_step(0.01, 0.0, 0.5, 1.0, 0.95), kKeepDrift);   // from above too
  EXPECT_NEAR(evidence_step(0.01, 0.0, 0.5, 0.9504, 0.95), 0.0004, 1e-15);  // and stops there
  EXPECT_DOUBLE_EQ(evidence_step(0.01, 0.0, 0.5, 0.95, 0.95), 0.0);
  EXPECT_DOUBLE_EQ(evidence_step(0.0, 0.3, 0.5), 0.0);            // eta 0: theta held
}

// An estimator with known statistics: section l's estimate is mean_l + sd_l * N(0, 1),
// whatever the network does. With the weights frozen (eta_w tiny), tau_l and the prior
// term are fixed, so whether a section pays for itself is known in advance.
class PlantedEstimator final : public ThetaEstimator {
 public:
  PlantedEstimator(std::vector<double> mean, std::vector<double> sd, uint64_t seed)
      : mean_(std::move(mean)), sd_(std::move(sd)), rng_(seed) {}
  const char* name() const override { return "planted"; }
  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    for (int32_t l = 0; l < ctx.model.sections(); ++l)
      grad[l] = ctx.model.gate(l).pruned ? 0.0 : mean_[l] + sd_[l] * rng_.normal();
    return 0.0;
  }

 private:
  std::vector<double> mean_, sd_;
  Rng rng_;
};

struct PlantedRun {
  std::vector<int64_t> pruned_at;  // -1: kept
  std::vector<double> theta;
};

// Section 0 pays for itself (mean = -3 tau: it buys three times its threshold), section 1
// is useless (mean 0: it buys nothing and costs tau), both with noise sd = noise * tau.
PlantedRun run_planted(int32_t rule, double noise, double eta_theta, int64_t steps) {
  Network m(make_cpu_backend(), test::small_arch(8, 16, 2, 3), 5);
  auto data = test::blobs(64, 8, 3, 9);
  TrainConfig c = default_train_config();
  c.batch_size = 16;
  c.eta_w = 1e-9;  // weights (so tau and the prior) stay where they are
  c.clip_norm = 0;
  c.lambda = 2.0;
  c.pruning_rule = rule;
  c.eta_theta = eta_theta;
  c.train_size = 64;
  TrainingSession t(m, c);
  const prior::Terms terms{c.lambda, c.s2, 64.0};
  std::vector<double> tau(2);
  for (int32_t l = 0; l < 2; ++l) tau[l] = prior::tau(terms, m.section_weights(l), m.section_weight_norm2(l));
  t.replace_estimator(std::make_unique<PlantedEstimator>(std::vector<double>{-3 * tau[0], 0.0},
                                                         std::vector<double>{noise * tau[0], noise * tau[1]}, 17));
  PlantedRun r{{-1, -1}, {}};
  for (int64_t done = 0; done < steps;) {
    const int64_t n = t.begin_epoch(*data);
    for (int64_t b = 0; b < n && done < steps; ++b, ++done) t.step(*data, b);
  }
  for (int32_t l = 0; l < 2; ++l) {
    r.pruned_at[l] = m.section(l).pruned ? m.section(l).pruned_at_step : -1;
    r.theta.push_back(m.section(l).theta);
  }
  return r;
}

TEST(EvidenceRule, NoisyEstimatesNeverPruneASectionThatPays) {
  // Noise 30 tau per estimate: one estimate says nothing. The evidence rule keeps the
  // section that pays for 5000 steps; the plain rule with the paper's eta_theta 0.2
  // prunes it (so this test can fail: it did, with the plain rule, before the evidence rule).
  const PlantedRun evidence = run_planted(PRUNING_RULE_EVIDENCE, 30.0, 0.005, 5000);
  EXPECT_EQ(evidence.pruned_at[0], -1);
  EXPECT_GE(evidence.theta[0], 0.95);
  const PlantedRun plain = run_planted(PRUNING_RULE_PLAIN, 30.0, 0.2, 5000);
  EXPECT_GE(plain.pruned_at[0], 0) << "the plain rule should prune the paying section on this noise";
}

TEST(EvidenceRule, AUselessSectionIsPrunedWithinTheBound) {
  // Noise 3 tau. Bound, from the rule: no move before n_eff reaches kMinEvidence
  // (n_eff ~ count / 2: 2 * kMinEvidence = 80 steps), then a supported gradient (in both
  // windows) of at least tau - z SE with SE <= 3 tau / sqrt(kMinEvidence) (about 0.47 tau,
  // so >= 0.05 tau at z = 2) moves theta by >= min(eta * 0.05, kMaxThetaStep) per step: from
  // 1 to 0 within 1 / (0.05 eta) steps, then patience (20). With eta 0.05 that is
  // 80 + 400 + 20 = 500 steps; in practice SE keeps falling and the prior grows as theta
  // falls, so it goes well within it, but never faster than 80 + 1 / kMaxThetaStep + 20.
  const PlantedRun r = run_planted(PRUNING_RULE_EVIDENCE, 3.0, 0.05, 2000);
  ASSERT_GE(r.pruned_at[1], 0) << "the useless section was not pruned";
  EXPECT_LE(r.pruned_at[1], 500);
  EXPECT_GE(r.pruned_at[1], 2 * kMinEvidence + 1.0 / kMaxThetaStep);  // not before the evidence exists
  EXPECT_EQ(r.pruned_at[0], -1);                // and the paying one stays
}

TEST(EvidenceRule, ThetaStepIsEtaTimesSupportedOverTau) {
  // The trainer's theta change equals -evidence_step(eta, supported(mean, prior), tau) of
  // the evidence it reports (and -eta (estimate + prior) under the plain rule).
  Network m(make_cpu_backend(), test::small_arch(8, 16, 3, 3), 6);
  auto data = test::blobs(256, 8, 3, 9);
  for (int32_t rule : {PRUNING_RULE_EVIDENCE, PRUNING_RULE_PLAIN}) {
    TrainConfig c = default_train_config();
    c.batch_size = 16;
    c.lambda = 2.0;   // sections do not pay: theta moves once the evidence is in
    c.eta_w = 1e-9;   // and the weights stay, so the prior does not shrink them to nothing first
    c.pruning_rule = rule;
    c.eta_theta = rule == PRUNING_RULE_PLAIN ? 0.01 : 0.05;
    // Start at the rest point, so the ledger (which pays re-runs from the savings of gates at
    // rest) funds evidence from the first step and thetas move within this short run.
    if (rule == PRUNING_RULE_EVIDENCE) c.theta0 = 1.0 - c.estimator_budget;
    Network net(make_cpu_backend(), test::small_arch(8, 16, 3, 3), 6);
    TrainingSession t(net, c);
    int checked = 0;
    for (int e = 0; e < 10; ++e) {
      const int64_t n = t.begin_epoch(*data);
      for (int64_t b = 0; b < n; ++b) {
        std::vector<double> before(3);
        for (int32_t l = 0; l < 3; ++l) before[l] = net.section(l).theta;
        t.step(*data, b);
        for (int32_t l = 0; l < 3; ++l) {
          if (net.section(l).pruned) continue;
          const double expected_step =
              rule == PRUNING_RULE_PLAIN
                  ? -c.eta_theta * t.theta_gradient()[l]
                  : -evidence_step(c.eta_theta,
                                   [&] {
                                     const double x = t.evidence_mean(l) + t.prior_gradient()[l];
                                     const double se = t.evidence_stderr(l);
                                     if (!std::isfinite(se)) return 0.0;
                                     const double ex = std::fabs(x) - c.evidence_z * se;
                                     return ex > 0 ? std::copysign(ex, x) : 0.0;
                                   }(),
                                   t.tau(l), before[l], t.rest_theta());
          EXPECT_NEAR(t.theta_steps()[l], expected_step, 1e-12 + 1e-9 * std::fabs(expected_step));
          EXPECT_NEAR(net.section(l).theta, std::clamp(before[l] + expected_step, 0.0, 1.0), 1e-12);
          checked += std::fabs(expected_step) > kKeepDrift;
        }
      }
    }
 EXPECT_GT(checked, 10) << "rule " << rule << ": theta must move in this run for the test to mean anything";
  }
  (void)m;
}

}  // namespace
}  // namespace layerprune
