// The training step end to end on synthetic data: it learns, it prunes (and the
// pruned sections' cost vanishes from the accounting), it is deterministic for a
// seed and thread count, it stops clearly on divergence and bad configurations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "layerprune/api.h"
#include "method/prior.h"
#include "method/trainer.h"
#include "model/cost.h"
#include "model/evaluation.h"
#include "test_util.h"

namespace layerprune {
namespace {

struct RunResult {
  std::vector<StepStats> steps;
  std::vector<double> thetas;
  std::vector<float> head_weights;
  double cumulative = 0, cumulative_unpruned = 0;
};

TrainConfig small_config() {
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.total_steps = 4 * (512 / 32);
  return c;
}

RunResult train(Network& m, const Dataset& data, const TrainConfig& c, int epochs) {
  TrainingSession t(m, c);
  RunResult r;
  for (int e = 0; e < epochs; ++e) {
    const int64_t steps = t.begin_epoch(data);
    for (int64_t b = 0; b < steps; ++b) r.steps.push_back(t.step(data, b));
  }
  for (int32_t l = 0; l < m.sections(); ++l) r.thetas.push_back(m.section(l).theta);
  r.cumulative = t.cumulative_flops();
  r.cumulative_unpruned = t.cumulative_flops_unpruned();
  return r;
}

TEST(Trainer, LearnsSeparableData) {
  Network m(make_cpu_backend(), test::small_arch(10, 32, 4, 4), 1);
  auto train_set = test::blobs(512, 10, 4, 11, 1.0);
  const double before = evaluate(m, *train_set, EVAL_EXPECTED).accuracy;
  train(m, *train_set, small_config(), 4);
  const double after = evaluate(m, *train_set, EVAL_EXPECTED).accuracy;
  EXPECT_GT(after, 0.9) << "before training: " << before;
  EXPECT_GT(after, before);
}

TEST(Trainer, SameSeedAndThreadsGiveIdenticalRuns) {
  auto data = test::blobs(512, 10, 4, 12);
  Network a(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 3);
  Network b(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 3);
  TrainConfig c = small_config();
  c.lambda = 0.5;
  const RunResult ra = train(a, *data, c, 3), rb = train(b, *data, c, 3);
  ASSERT_EQ(ra.steps.size(), rb.steps.size());
  for (size_t i = 0; i < ra.steps.size(); ++i) {
    EXPECT_EQ(ra.steps[i].loss, rb.steps[i].loss) << "step " << i;
    EXPECT_EQ(ra.steps[i].live_sections, rb.steps[i].live_sections) << "step " << i;
  }
  EXPECT_EQ(ra.thetas, rb.thetas);
  EXPECT_EQ(ra.cumulative, rb.cumulative);
  // A different seed gives a different run (the test can fail).
  Network d(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 3);
  c.seed = 2;
  EXPECT_NE(train(d, *data, c, 1).steps.back().loss, ra.steps[ra.steps.size() / 3 - 1].loss);
}

TEST(Trainer, StrongPriorPrunesAndTheCostVanishes) {
  Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 4);
  auto data = test::blobs(512, 10, 4, 13);
  TrainConfig c = small_config();
  c.lambda = 200.0;  // tau far above what any section can buy on this easy task
  c.patience = 5;
  c.eta_theta = 0.05;  // evidence rule: from 1 to 0 in about 20 steps once the evidence is in
  const int64_t params_initial = m.param_count();
  const int64_t bytes_initial = m.native_bytes();
  // The evidence rule moves no theta before kMinEvidence measured estimates, which the
  // estimator can afford only once the gates have drifted from 1 to their rest point (the
  // ledger, 50 steps at budget 0.05) and saved: about 180 steps here; then at least
  // 1 / kMaxThetaStep steps from 1 to 0: 24 epochs of 16 steps.
  const RunResult r = train(m, data.operator*(), c, 24);
  EXPECT_LT(m.live_sections(), 6);
  int pruned = 0;
  int64_t expected_params = params_initial;
  for (int32_t l = 0; l < 6; ++l) {
    const Section& s = m.section(l);
    if (!s.pruned) continue;
    ++pruned;
    EXPECT_GE(s.pruned_at_step, 5);  // patience: theta sat at 0 for 5 steps first
    EXPECT_EQ(s.theta, 0.0);
    expected_params -= cost::section_body_params(m.plan().section(l));
  }
  EXPECT_EQ(m.param_count(), expected_params);
  EXPECT_LT(m.native_bytes(), bytes_initial);
  EXPECT_LT(r.cumulative, r.cumulative_unpruned);
  // Once a section is gone, no later step runs it.
  EXPECT_LE(r.steps.back().active_sections, r.steps.back().live_sections);
  EXPECT_GT(pruned, 0);
}

TEST(Trainer, NoGatesKeepsEverySectionAtThetaOne) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 3, 4), 5);
  auto data = test::blobs(256, 10, 4, 14);
  TrainConfig c = small_config();
  c.no_gates = 1;
  c.lambda = 1000.0;  // ignored: no prior without gates
  const RunResult r = train(m, *data, c, 2);
  for (double t : r.thetas) EXPECT_EQ(t, 1.0);
  EXPECT_EQ(m.live_sections(), 3);
  EXPECT_EQ(r.cumulative, r.cumulative_unpruned);  // no estimator passes, nothing skipped
}

TEST(Trainer, FinishDeterminizes) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 3, 4), 5);
  TrainingSession t(m, small_config());
  m.section(1).theta = 0.3;
  t.finish();
  EXPECT_TRUE(m.section(1).pruned);
  EXPECT_FALSE(m.section(0).pruned);
}

TEST(Trainer, DivergenceStopsWithAClearMessage) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 3, 4), 6);
  auto data = test::blobs(256, 10, 4, 15, 1.0);
  for (float& x : data->features) x *= 1e18f;  // overflow the logits
  TrainConfig c = small_config();
  c.clip_norm = 0.0;
  c.eta_w = 1e6;
  TrainingSession t(m, c);
  const int64_t steps = t.begin_epoch(*data);
  try {
    for (int64_t b = 0; b < steps; ++b) t.step(*data, b);
    FAIL() << "no divergence detected";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("diverged at step"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("learning rate"), std::string::npos) << e.what();
  }
}

TEST(Trainer, RejectsBadConfigurationsNamingTheField) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 3, 4), 7);
  auto expect_field = [&m](TrainConfig c, const char* field) {
    try {
      TrainingSession t(m, c);
      FAIL() << "accepted bad " << field;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
    }
  };
  TrainConfig c = small_config();
  c.eta_w = std::nan("");
  expect_field(c, "eta_w");
  c = small_config();
  c.lambda = -1;
  expect_field(c, "lambda");
  c = small_config();
  c.s2 = 0;
  expect_field(c, "s2");
  c = small_config();
  c.theta0 = 1.5;
  expect_field(c, "theta0");
  c = small_config();
  c.batch_size = 0;
  expect_field(c, "batch_size");
  c = small_config();
  c.estimator_fraction = 0;
  expect_field(c, "estimator_fraction");
  c = small_config();
  c.theta_min = 1.5;  // a probability, like theta0
  expect_field(c, "theta_min");
}

// The C API's lambda-from-tau (what Java's Trainer.fit calls): 2 N tau / max_l n_l over the model's
// sections, the formula of prior.h; 0 for a model without sections; bad tau or N named.
TEST(Trainer, LambdaForTauIsTwoNTauOverTheLargestSection) {
  MlpSpec spec{12, 20, 3, 4, 7, DEVICE_CPU};
  Model* model = model_create_mlp(&spec);
  int64_t max_weights = 0;
  for (int32_t l = 0; l < model_sections(model); ++l) {
    SectionInfo info{};
    model_section_info(model, l, &info);
    max_weights = std::max(max_weights, info.weights);
  }
  EXPECT_EQ(max_weights, 2 * 20 * 20);
  for (double tau : {0.0, 0.004, 0.05, 1.0 / 3})
    for (double n : {1.0, 512.0, 60000.0})
      EXPECT_EQ(train_config_lambda_for_tau(model, tau, n), 2.0 * n * tau / double(max_weights)) << tau << " " << n;
  EXPECT_THROW(train_config_lambda_for_tau(model, -1, 100), Error);
  EXPECT_THROW(train_config_lambda_for_tau(model, std::nan(""), 100), Error);
  EXPECT_THROW(train_config_lambda_for_tau(model, 0.1, 0), Error);
  model_destroy(model);
  MlpSpec none{12, 20, 0, 4, 7, DEVICE_CPU};
  model = model_create_mlp(&none);
  EXPECT_EQ(train_config_lambda_for_tau(model, 0.05, 1000), 0.0);
  model_destroy(model);
  EXPECT_EQ(prior::lambda_for_tau(0.05, 1000, 0), 0.0);
}

TEST(Trainer, RejectsMismatchedData) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 3, 4), 8);
  auto wrong = test::blobs(64, 12, 4, 1);
  TrainingSession t(m, small_config());
  try {
    t.begin_epoch(*wrong);
    FAIL() << "accepted 12 features for a 10-input model";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("12 features"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace layerprune

namespace layerprune {
namespace {

TEST(TrainerFreeze, ThetaHeldAndNothingPrunedWhileFrozen) {
  Network m(make_cpu_backend(), test::small_arch(10, 16, 4, 4), 11);
  auto data = test::blobs(256, 10, 4, 21);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.lambda = 500.0;  // would prune everything at once
  c.patience = 1;
  c.theta_freeze_steps = 16;
  c.pruning_rule = PRUNING_RULE_PLAIN;  // prunes right after the freeze (the evidence rule waits for evidence)
  c.estimator = ESTIMATOR_TWO_POINT;    // re-runs every step, so the first step after the freeze costs more
  TrainingSession t(m, c);
  int64_t step = 0;
  double flops_frozen = 0, flops_after = 0;
  for (int e = 0; e < 3; ++e) {
    const int64_t steps = t.begin_epoch(*data);
    for (int64_t b = 0; b < steps; ++b, ++step) {
      const StepStats s = t.step(*data, b);
      if (step < 16) {
        EXPECT_EQ(s.live_sections, 4) << "step " << step;
        for (int32_t l = 0; l < 4; ++l) EXPECT_EQ(m.section(l).theta, 1.0);
        flops_frozen = s.step_flops;
      } else if (step == 16) {
        flops_after = s.step_flops;
      }
    }
  }
  EXPECT_EQ(m.live_sections(), 0);  // after the freeze the prior prunes them all
  for (int32_t l = 0; l < 4; ++l) EXPECT_GE(m.section(l).pruned_at_step, 16);
  EXPECT_GT(flops_after, flops_frozen);  // the estimator's passes start after the freeze
}

}  // namespace
}  // namespace layerprune

namespace layerprune {
namespace {

TEST(TrainerFlops, StepFlopsFollowTheFormulaByHand) {
  // small_arch(10, 32, 6, 4): stem 10 -> 32, six W-a-W sections 32 -> 32 -> 32, head 32 -> 4.
  // FLOPs count 2 per multiply-add of the matrix products; a training step counts the forward
  // once and the backward twice (model/cost.h), plus the estimator's extra passes.
  const double stem = 2.0 * 10 * 32, section = 2.0 * (32 * 32 + 32 * 32), head = 2.0 * 32 * 4;
  auto data = test::blobs(256, 10, 4, 13);
  for (int no_gates : {1, 0}) {
    Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 4);
    TrainConfig c = small_config();
    c.no_gates = no_gates;
    c.theta0 = 0.5;  // with gates, about half the sections run in each step
    TrainingSession t(m, c);
    t.begin_epoch(*data);
    for (int64_t b = 0; b < 4; ++b) {
      const StepStats s = t.step(*data, b);
      const double forward = stem + head + section * s.active_sections;
      EXPECT_DOUBLE_EQ(s.step_flops, 3.0 * c.batch_size * forward + s.estimator_flops) << "step " << b;
      EXPECT_DOUBLE_EQ(s.step_flops_unpruned, 3.0 * c.batch_size * (stem + head + 6 * section));
      if (no_gates) {
        EXPECT_EQ(s.active_sections, 6);
        EXPECT_EQ(s.estimator_flops, 0.0);
      }
    }
  }
}

TEST(TrainerLedger, TrainingNeverCostsMoreThanWithoutGates) {
  // The evidence rule with the budgeted estimator spends on re-runs only what gating and
  // pruning saved so far: at every step the run's cumulative FLOPs stay at or below the
  // ungated run's (the ledger is strict: a step buys re-runs only when the credit covers its
  // worst-case draws). A moderate prior, so that the estimator spends for long stretches while
  // little is pruned.
  Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 7);
  auto data = test::blobs(512, 10, 4, 21);
  TrainConfig c = small_config();
  c.lambda = 2.0;
  const RunResult r = train(m, *data, c, 12);
  double flops = 0, unpruned = 0, spent = 0, largest = 0;
  int64_t over = 0;
  for (const StepStats& s : r.steps) {
    flops += s.step_flops, unpruned += s.step_flops_unpruned, spent += s.estimator_flops;
    largest = std::max(largest, s.estimator_flops);
    over += flops > unpruned * (1.0 + 1e-12);  // sums of ~1e3 doubles: relative rounding << 1e-12
  }
  EXPECT_EQ(over, 0) << "steps at which the run cost more than the ungated run";
  EXPECT_GT(largest, 0.0);
  EXPECT_GT(spent, 0.01 * unpruned) << "the estimator must spend for the test to mean anything";
  // In doubt a gate rests at 1 - budget; its skipped sections are what pays.
  TrainingSession t(m, c);
  EXPECT_DOUBLE_EQ(t.rest_theta(), 1.0 - c.estimator_budget);
}

}  // namespace
}  // namespace layerprune
