// The budgeted two-point estimator (method/budgeted_estimator.cpp): unbiased against exact
// enumeration over all 2^L gate patterns at every budget, and its re-runs' expected cost a
// fixed fraction of the live network's training step at every depth, by construction.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "method/estimator.h"
#include "method/estimator_check.h"
#include "method/exact.h"
#include "method/rerun_allocation.h"
#include "method/trainer.h"
#include "model/cost.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

void train_briefly(GatedNetwork& m, const Dataset& data, int epochs) {
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.no_gates = 1;
  c.augment_pad = 0, c.augment_flip = 0;
  TrainingSession t(m, c);
  for (int e = 0; e < epochs; ++e) {
    const int64_t steps = t.begin_epoch(data);
    for (int64_t b = 0; b < steps; ++b) t.step(data, b);
  }
}

void expect_unbiased(GatedNetwork& m, int64_t rows, double budget, int samples, const char* what) {
  auto estimator = make_budgeted_estimator(budget, m.sections());
  const int32_t L = m.sections();
  for (const std::vector<double>& thetas : {std::vector<double>(L, 1.0), std::vector<double>(L, 0.5)}) {
    for (int32_t l = 0; l < L; ++l) m.gate(l).theta = thetas[l];
    const ExactGradient exact = exact_theta_gradient(m, rows);
    const EstimatorStats mc = sample_estimator(m, *estimator, rows, samples, 99);
    for (int32_t l = 0; l < L; ++l)
      EXPECT_NEAR(mc.mean[l], exact.data_grad[l], 4.0 * std::max(mc.stderr_[l], 1e-7))
          << what << ", budget " << budget << ", theta " << thetas[l] << ", section " << l;
  }
}

class BudgetedUnbiased : public ::testing::TestWithParam<std::tuple<double, bool>> {};

TEST_P(BudgetedUnbiased, MeanMatchesExactEnumerationOnAnMlp) {
  const auto [budget, trained] = GetParam();
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(256, 6, 3, 5, 1.5);
  if (trained) train_briefly(m, *data, 3);
  test::load_rows(m, *data, 24);
  expect_unbiased(m, 24, budget, 4000, trained ? "trained MLP" : "untrained MLP");
}

INSTANTIATE_TEST_SUITE_P(Budgets, BudgetedUnbiased,
                         ::testing::Combine(::testing::Values(0.05, 0.3, 1.0), ::testing::Bool()));

Architecture tiny_resnet() {
  return test::conv_arch({2, 6, 6}, 4, {{4, 2, 1}, {8, 1, 2}}, 3);  // identity, identity, projection with stride 2
}

TEST(Budgeted, UnbiasedOnAConvNet) {
  const Architecture a = tiny_resnet();
  Network m(make_cpu_backend(), a, 8);
  auto data = test::blobs(64, a.input.size(), 3, 5, 1.0);
  train_briefly(m, *data, 2);
  test::load_rows(m, *data, 16);
  expect_unbiased(m, 16, 0.1, 3000, "tiny ResNet");
}

TEST(Budgeted, DetectsABiasedCopy) {
  // The criterion above must be able to fail: the same estimator with its correction
  // dropped on half of the re-runs (weight 1/(2p) instead of 1/p) is biased, and the
  // 4-standard-error check catches it in at least one section.
  class HalfCorrected final : public ThetaEstimator {
   public:
    explicit HalfCorrected(int32_t L) : inner_(make_budgeted_estimator(1.0, L)), lin_(L) {}
    const char* name() const override { return "half-corrected"; }
    GatedNetwork::Directional directional_need() const override { return GatedNetwork::kRunSections; }
    double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
      // Budget 1 re-runs every section (p = 1), so g = d exactly; report the average of d
      // and the linearized term instead: biased towards the linearized value.
      const double f = inner_->estimate(ctx, grad);
      for (size_t l = 0; l < grad.size(); ++l)
        grad[l] = 0.5 * (grad[l] + (ctx.gates[l] != 0.f ? (*ctx.directional)[l] : 0.0));
      return f;
    }

   private:
    std::unique_ptr<ThetaEstimator> inner_;
    std::vector<double> lin_;
  };
  Network m(make_cpu_backend(), test::small_arch(6, 8, 4, 3), 21);
  auto data = test::blobs(256, 6, 3, 5, 1.5);
  train_briefly(m, *data, 3);
  test::load_rows(m, *data, 24);
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = 0.7;
  const ExactGradient exact = exact_theta_gradient(m, 24);
  HalfCorrected biased(4);
  const EstimatorStats mc = sample_estimator(m, biased, 24, 2000, 7);
  int caught = 0;
  for (int32_t l = 0; l < 4; ++l) caught += std::fabs(mc.mean[l] - exact.data_grad[l]) > 4.0 * mc.stderr_[l];
  EXPECT_GT(caught, 0);
}

TEST(RerunAllocation, SpendsTheBudgetProportionallyAndCapsAtOne) {
  std::vector<double> cost = {10, 10, 40, 5}, weight = {1, 2, 1, 0}, rate(4);
  std::vector<char> fixed(4);
  // Unclamped: p = kappa w, sum p c = budget.
  double planned = allocate_reruns(cost, weight, 6.0, rate, fixed);
  EXPECT_NEAR(planned, 6.0, 1e-12);
  EXPECT_NEAR(rate[1], 2 * rate[0], 1e-12);
  EXPECT_NEAR(rate[2], rate[0], 1e-12);
  EXPECT_EQ(rate[3], 0.0);  // weight 0: never re-run
  // A large budget: section 1 reaches p = 1 first, the rest share what is left.
  planned = allocate_reruns(cost, weight, 45.0, rate, fixed);
  EXPECT_NEAR(planned, 45.0, 1e-12);
  EXPECT_EQ(rate[1], 1.0);
  EXPECT_NEAR(rate[0] * 10 + rate[2] * 40, 35.0, 1e-12);
  // More than everything costs: every re-runnable section at p = 1.
  planned = allocate_reruns(cost, weight, 1000.0, rate, fixed);
  EXPECT_NEAR(planned, 60.0, 1e-12);
  EXPECT_EQ(rate[0], 1.0);
  EXPECT_EQ(rate[2], 1.0);
}

// The re-runs' expected cost per step is budget x the live network's training step, at
// every depth, and what the estimator actually spends averages to it.
void expect_budget_held(GatedNetwork& m, const Dataset& data, double budget, const char* what, int calls) {
  const int32_t L = m.sections();
  const int64_t rows = 2;
  test::load_rows(m, data, rows);
  auto estimator = make_budgeted_estimator(budget, L);
  std::vector<float> gates(L, 1.f);
  std::vector<double> grad(L), lin(L);
  Rng rng(5);
  const double step = cost::training_step_flops(m.forward_flops(gates), rows);
  double planned = 0, spent = 0;
  for (int i = 0; i < calls; ++i) {
    m.forward(rows, gates, GatedNetwork::kProbe);
    const double loss = m.loss(rows, true, nullptr);
    m.backward(rows, gates, GatedNetwork::kRunSections, &lin);
    EstimatorContext ctx{m, gates, rows, loss, rng, &lin};
    spent += estimator->estimate(ctx, grad);
    EXPECT_LE(estimator->planned_flops(), budget * step * (1 + 1e-9)) << what;
    planned += estimator->planned_flops();
  }
  EXPECT_NEAR(planned / calls, budget * step, 1e-9 * step) << what << ": the budget is spent in expectation";
  // A re-run costs at most one forward (step / 3), so over `calls` Bernoulli draws the
  // spend's standard deviation is at most sqrt(calls * budget * step * step / 3).
  const double sd = std::sqrt(calls * budget * step * step / 3.0);
  EXPECT_NEAR(spent, planned, 4 * sd) << what;
}

TEST(Budgeted, CostIsTheBudgetAtEveryDepth) {
  for (int32_t L : {12, 48}) {
    Network m(make_cpu_backend(), test::small_arch(16, 16, L, 4), 3);
    auto data = test::blobs(8, 16, 4, 2);
    expect_budget_held(m, *data, 0.05, L == 12 ? "MLP L=12" : "MLP L=48", 300);
  }
  for (int depth : {20, 56, 110}) {
    Network m(make_cpu_backend(), resnet_cifar(depth, {1, 8, 8}, 10), 3);
    auto data = test::blobs(8, 64, 10, 2);
    expect_budget_held(m, *data, 0.05, ("ResNet-" + std::to_string(depth)).c_str(), 40);
  }
  Network vgg(make_cpu_backend(), vgg16({1, 32, 32}, 10), 3);
  auto data = test::blobs(8, 32 * 32, 10, 2);
  expect_budget_held(vgg, *data, 0.05, "VGG16", 40);
}

}  // namespace
}  // namespace layerprune
