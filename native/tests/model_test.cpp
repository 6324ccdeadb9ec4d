// The gated residual MLP on oneDNN held to the same model on the reference backend,
// the reference model held to finite differences, and the pruning bookkeeping.
#include <gtest/gtest.h>

#include "layerprune/api.h"
#include "model/cost.h"
#include "model/evaluation.h"
#include "test_util.h"

namespace layerprune {
namespace {

using test::expect_close;

// Widths differ between sections so both identity and projection skips are covered.
Architecture mixed_arch() { return mlp_architecture(20, 16, {16, 24, 24, 12}, 5); }

struct Pair {
  Network fast{make_cpu_backend(), mixed_arch(), 9};
  Network ref{make_reference_backend(), mixed_arch(), 9};
};

std::vector<float> grads_of(Network& m) {
  std::vector<float> all;
  for (const ParamRef& p : m.params()) {
    std::vector<float> g(p.n);
    m.backend().to_host(g.data(), p.g, sizeof(float) * p.n);
    all.insert(all.end(), g.begin(), g.end());
  }
  return all;
}

TEST(ResidualMlp, OneDnnMatchesReferenceForwardAndBackward) {
  Pair p;
  auto data = test::blobs(33, 20, 5, 1);
  test::load_rows(p.fast, *data, 33);
  test::load_rows(p.ref, *data, 33);
  for (auto gates : {std::vector<float>{1, 1, 1, 1}, std::vector<float>{0, 1, 0, 1},
                     std::vector<float>{1, 0, 1, 0}, std::vector<float>{0, 0, 0, 0}}) {
    std::vector<float> logits_fast(33 * 5), logits_ref(33 * 5);
    p.fast.backend().to_host(logits_fast.data(), p.fast.forward(33, gates), sizeof(float) * logits_fast.size());
    p.ref.backend().to_host(logits_ref.data(), p.ref.forward(33, gates), sizeof(float) * logits_ref.size());
    expect_close(logits_fast, logits_ref, 1e-4, 1e-4, "logits");
    EXPECT_NEAR(p.fast.loss(33, true, nullptr), p.ref.loss(33, true, nullptr), 1e-5);
    p.fast.backward(33, gates);
    p.ref.backward(33, gates);
    expect_close(grads_of(p.fast), grads_of(p.ref), 1e-5, 1e-3, "gradients");
  }
}

TEST(ResidualMlp, ReferenceGradientsMatchFiniteDifferences) {
  Network m(make_reference_backend(), mixed_arch(), 4);
  auto data = test::blobs(8, 20, 5, 2);
  test::load_rows(m, *data, 8);
  const std::vector<float> gates = {1, 0, 1, 1};
  m.forward(8, gates);
  m.loss(8, true, nullptr);
  m.backward(8, gates);
  // Host memory on the reference backend: parameters can be poked directly.
  const double h = 1e-2;
  int checked = 0;
  for (const ParamRef& p : m.params()) {
    for (int64_t i = 0; i < p.n; i += std::max<int64_t>(1, p.n / 5)) {
      const float saved = p.w[i];
      p.w[i] = saved + float(h);
      m.forward(8, gates);
      const double up = m.loss(8, false, nullptr);
      p.w[i] = saved - float(h);
      m.forward(8, gates);
      const double down = m.loss(8, false, nullptr);
      p.w[i] = saved;
      EXPECT_NEAR(p.g[i], (up - down) / (2 * h), 2e-3 + 2e-2 * std::fabs(p.g[i])) << "param entry " << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 50);
}

TEST(ResidualMlp, SkippedSectionHasZeroBodyGradient) {
  Network m(make_cpu_backend(), mixed_arch(), 5);
  auto data = test::blobs(10, 20, 5, 3);
  test::load_rows(m, *data, 10);
  const std::vector<float> gates = {1, 0, 1, 1};
  m.forward(10, gates);
  m.loss(10, true, nullptr);
  m.backward(10, gates);
  const Section& s = m.section(1);
  EXPECT_EQ(m.backend().sum_squares(s.body[0].weight.g.data(), s.body[0].weight.g.size()), 0.0);
  EXPECT_EQ(m.backend().sum_squares(s.body[1].weight.g.data(), s.body[1].weight.g.size()), 0.0);
  EXPECT_GT(m.backend().sum_squares(s.skip.weight.g.data(), s.skip.weight.g.size()), 0.0);  // the skip still learns
}

TEST(ResidualMlp, RerunLossEqualsForwardWithFlippedGate) {
  Network m(make_cpu_backend(), mixed_arch(), 6);
  auto data = test::blobs(17, 20, 5, 4);
  test::load_rows(m, *data, 17);
  const std::vector<float> gates = {1, 0, 1, 0};
  for (int32_t l = 0; l < 4; ++l) {
    std::vector<float> flipped = gates;
    flipped[l] = 1.f - flipped[l];
    m.forward(17, flipped);
    const double expected = m.loss(17, false, nullptr);
    m.forward(17, gates);
    EXPECT_NEAR(m.rerun_loss(17, gates, l, flipped[l]), expected, 1e-6) << "section " << l;
  }
}

TEST(ResidualMlp, PruningFreesMemoryAndRemovesParamsAndFlops) {
  Network m(make_cpu_backend(), mixed_arch(), 7);
  m.ensure_capacity(32);
  const Plan& a = m.plan();
  const int64_t bytes_before = m.native_bytes();
  const int64_t params_before = m.param_count();
  std::vector<float> gates;
  m.eval_gates(EVAL_DETERMINISTIC, gates);
  const double flops_before = cost::forward_flops(a, gates);

  m.prune(2, 123);
  const Section& s = m.section(2);
  EXPECT_TRUE(s.pruned);
  EXPECT_EQ(s.pruned_at_step, 123);
  EXPECT_FALSE(s.body[0].weight);
  EXPECT_FALSE(s.body[1].weight.v);
  EXPECT_FALSE(s.body[0].out);
  EXPECT_EQ(m.param_count(), params_before - cost::section_body_params(a.section(2)));
  // Body parameters x3 (weights, gradients, momentum) plus the hidden, body and output
  // activations (an identity-skip section's output becomes an alias of its input).
  ASSERT_FALSE(a.section(2).projection);
  const int64_t body_bytes = 4 * (3 * cost::section_body_params(a.section(2)) + 3 * 32 * s.op->out.c);
  EXPECT_EQ(m.native_bytes(), bytes_before - body_bytes);
  m.eval_gates(EVAL_DETERMINISTIC, gates);
  EXPECT_EQ(gates[2], 0.f);
  EXPECT_DOUBLE_EQ(cost::forward_flops(a, gates), flops_before - cost::section_body_flops(a.section(2)));
  EXPECT_EQ(m.section_weight_norm2(2), 0.0);

  // The pruned network still runs, and equals the unpruned one with gate 2 off.
  Network twin(make_cpu_backend(), mixed_arch(), 7);
  auto data = test::blobs(32, 20, 5, 8);
  test::load_rows(m, *data, 32);
  test::load_rows(twin, *data, 32);
  std::vector<float> all_on = {1, 1, 1, 1}, off2 = {1, 1, 0, 1};
  m.forward(32, all_on);
  twin.forward(32, off2);
  EXPECT_NEAR(m.loss(32, false, nullptr), twin.loss(32, false, nullptr), 1e-6);
}

TEST(ResidualMlp, DeterminizePrunesBelowOneHalf) {
  Network m(make_cpu_backend(), mixed_arch(), 1);
  m.section(0).theta = 0.49;
  m.section(1).theta = 0.5;
  m.section(2).theta = 0.0;
  m.section(3).theta = 0.97;
  m.determinize(55);
  EXPECT_TRUE(m.section(0).pruned);
  EXPECT_FALSE(m.section(1).pruned);
  EXPECT_TRUE(m.section(2).pruned);
  EXPECT_FALSE(m.section(3).pruned);
  EXPECT_EQ(m.section(0).pruned_at_step, 55);
  EXPECT_EQ(m.live_sections(), 2);
}

TEST(ResidualMlp, ExpectedEvaluationScalesBodiesByTheta) {
  // With every theta = 0 the expected network is the skip path only; with theta = 1
  // it is the full network: evaluation must follow.
  Network m(make_cpu_backend(), mixed_arch(), 2);
  auto data = test::blobs(40, 20, 5, 9);
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = 0.0;
  const EvalStats skips = evaluate(m, *data, EVAL_EXPECTED);
  test::load_rows(m, *data, 40);
  m.forward(40, {0, 0, 0, 0});
  EXPECT_NEAR(skips.loss, m.loss(40, false, nullptr), 1e-6);
  for (int32_t l = 0; l < 4; ++l) m.section(l).theta = 1.0;
  const EvalStats full = evaluate(m, *data, EVAL_EXPECTED);
  test::load_rows(m, *data, 40);
  m.forward(40, {1, 1, 1, 1});
  EXPECT_NEAR(full.loss, m.loss(40, false, nullptr), 1e-6);
  EXPECT_EQ(full.samples, 40);
}

TEST(ResidualMlp, RejectsBadArchitectures) {
  Architecture a = mixed_arch();
  a.stem.out = 0;
  EXPECT_THROW(Network(make_cpu_backend(), a, 1), Error);
  a = mixed_arch();
  a.classes = 1;
  EXPECT_THROW(Network(make_cpu_backend(), a, 1), Error);
  a = mixed_arch();
  a.stages[0].widths[2] = -3;
  try {
    Network m(make_cpu_backend(), a, 1);
    FAIL() << "no error";
  } catch (const Error& e) {  // the error names the field
    EXPECT_NE(std::string(e.what()).find("stages[0].widths[2] must be > 0, got -3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace layerprune

namespace layerprune {
namespace {

TEST(ResidualMlpLimits, ModelsLargerThanTheMachineFailClearly) {
  Architecture huge = test::small_arch(784, 65536, 8, 10);
  try {
    Network m(make_cpu_backend(), huge, 1);
    FAIL() << "a model of ~800 GB was built";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("GB"), std::string::npos) << e.what();
  }
  Architecture deep = test::small_arch(4, 4, 100000, 2);
  EXPECT_THROW(Network(make_cpu_backend(), deep, 1), Error);  // more than 65536 sections
}

}  // namespace
}  // namespace layerprune
