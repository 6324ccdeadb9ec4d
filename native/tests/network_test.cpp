// The one Network against the two implementations it replaced (tests/legacy: ResidualMlp and
// ResidualConvNet as they were): for the same description and seed the weights, the forward
// and backward passes, the estimators' re-runs and directional derivatives, FLOPs, parameter
// counts and whole training runs agree bit for bit, on the reference backend and on oneDNN.
// Then what only the new description can say: bottleneck sections (hand-derived FLOPs and
// parameters, gradients against finite differences), ImageNet stems with overlapping max
// pools, per-section widths and the presets' shapes.
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>

#include "layerprune/api.h"
#include "legacy/conv_architecture.h"
#include "legacy/cost.h"
#include "legacy/residual_convnet.h"
#include "legacy/residual_mlp.h"
#include "method/trainer.h"
#include "model/architecture_json.h"
#include "model/cost.h"
#include "model/evaluation.h"
#include "model/network.h"
#include "core/memory_check.h"
#include "test_util.h"

namespace layerprune {
namespace {

using Backends = std::unique_ptr<Backend> (*)();

std::vector<float> host(GatedNetwork& m, const float* p, int64_t n) {
  std::vector<float> v(static_cast<size_t>(n));
  m.backend().to_host(v.data(), p, sizeof(float) * v.size());
  return v;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), sizeof(float) * a.size()) == 0;
}

// The convolutional network named its head "head.w" and "head.b" (each ".w", ".v").
std::string legacy_name(const std::string& name, bool conv) {
  if (!conv) return name;
  static const std::map<std::string, std::string> head = {
      {"head.W", "head.w.w"}, {"head.vW", "head.w.v"}, {"head.b", "head.b.w"}, {"head.vb", "head.b.v"}};
  const auto it = head.find(name);
  return it == head.end() ? name : it->second;
}

void expect_same_state(GatedNetwork& old, Network& now, bool conv, const char* when) {
  std::map<std::string, std::vector<float>> before;
  for (const StateTensor& t : old.state_tensors()) before[t.name] = host(old, t.data, t.count);
  const std::vector<StateTensor> tensors = now.state_tensors();
  ASSERT_EQ(tensors.size(), before.size()) << when;
  for (const StateTensor& t : tensors) {
    const auto it = before.find(legacy_name(t.name, conv));
    ASSERT_NE(it, before.end()) << when << ": " << t.name << " has no legacy tensor";
    EXPECT_TRUE(same_bits(host(now, t.data, t.count), it->second)) << when << ": " << t.name << " differs";
  }
}

std::vector<float> gradients(GatedNetwork& m) { return test::all_gradients(m); }

// Everything the method layer sees, for a few gate patterns, then a short training run.
void expect_same_network(GatedNetwork& old, Network& now, bool conv, const Dataset& data, int64_t rows) {
  ASSERT_EQ(old.sections(), now.sections());
  const int32_t L = now.sections();
  expect_same_state(old, now, conv, "after construction");
  ASSERT_EQ(old.params().size(), now.params().size());
  for (size_t i = 0; i < now.params().size(); ++i) {
    EXPECT_EQ(old.params()[i].n, now.params()[i].n) << "param " << i;
    EXPECT_EQ(old.params()[i].decayed, now.params()[i].decayed) << "param " << i;
  }
  EXPECT_EQ(old.param_count(), now.param_count());
  EXPECT_EQ(old.input_size(), now.input_size());
  int64_t c0 = 0, h0 = 0, w0 = 0, c1 = 0, h1 = 0, w1 = 0;
  EXPECT_EQ(old.image_shape(&c0, &h0, &w0), now.image_shape(&c1, &h1, &w1));
  EXPECT_EQ(std::make_tuple(c0, h0, w0), std::make_tuple(c1, h1, w1));
  for (int32_t l = 0; l < L; ++l) {
    EXPECT_EQ(old.section_weights(l), now.section_weights(l)) << l;
    EXPECT_EQ(old.section_shape(l).in, now.section_shape(l).in) << l;
    EXPECT_EQ(old.section_shape(l).out, now.section_shape(l).out) << l;
    EXPECT_EQ(old.section_shape(l).has_projection, now.section_shape(l).has_projection) << l;
    EXPECT_EQ(old.section_weight_norm2(l), now.section_weight_norm2(l)) << l;
  }
  test::load_rows(old, data, rows);
  test::load_rows(now, data, rows);
  std::vector<std::vector<float>> patterns = {std::vector<float>(size_t(L), 1.f), std::vector<float>(size_t(L), 0.f)};
  std::vector<float> alternating(static_cast<size_t>(L));
  for (int32_t l = 0; l < L; ++l) alternating[l] = l % 2 ? 1.f : 0.f;
  patterns.push_back(alternating);
  std::vector<float> expected(static_cast<size_t>(L), 0.5f);  // expected-mode gates scale the bodies
  patterns.push_back(expected);
  const int64_t logits = rows * now.classes();
  for (size_t k = 0; k < patterns.size(); ++k) {
    const std::vector<float>& gates = patterns[k];
    SCOPED_TRACE("gate pattern " + std::to_string(k));
    for (int32_t first = 0; first < L; ++first) EXPECT_EQ(old.forward_flops(gates, first), now.forward_flops(gates, first));
    EXPECT_TRUE(same_bits(host(old, old.forward(rows, gates, GatedNetwork::kInference), logits),
                          host(now, now.forward(rows, gates, GatedNetwork::kInference), logits)))
        << "inference logits";
    if (k == 3) continue;  // backward takes gates 0 or 1
    EXPECT_TRUE(same_bits(host(old, old.forward(rows, gates, GatedNetwork::kTraining), logits),
                          host(now, now.forward(rows, gates, GatedNetwork::kTraining), logits)))
        << "training logits";
    EXPECT_EQ(old.loss(rows, true, nullptr), now.loss(rows, true, nullptr));
    std::vector<double> d_old(static_cast<size_t>(L)), d_now(static_cast<size_t>(L));
    EXPECT_EQ(old.backward(rows, gates, GatedNetwork::kAllLive, &d_old),
              now.backward(rows, gates, GatedNetwork::kAllLive, &d_now));
    EXPECT_EQ(d_old, d_now) << "directional derivatives";
    EXPECT_TRUE(same_bits(gradients(old), gradients(now))) << "gradients";
    for (int32_t l = 0; l < L; ++l)
      EXPECT_EQ(old.rerun_loss(rows, gates, l, 1.f - gates[l]), now.rerun_loss(rows, gates, l, 1.f - gates[l]))
          << "re-run from section " << l;
  }
  expect_same_state(old, now, conv, "after the passes (running statistics)");

  // A short run with sampled gates, the budgeted estimator, the prior, clipping and pruning.
  TrainConfig c = default_train_config(conv ? FAMILY_RESNET : FAMILY_MLP);
  c.batch_size = static_cast<int32_t>(rows / 2);
  c.lambda = 2.0;
  c.train_size = 0;  // the prior's N is this data set's size (the families' 60k reference would make tau tiny)
  c.pruning_rule = PRUNING_RULE_PLAIN;
  c.eta_theta = 0.3;
  c.patience = 1;
  c.clip_norm = 0.5;
  c.total_steps = 12;
  c.augment_pad = c.augment_flip = 0;
  c.seed = 3;
  TrainingSession a(old, c), b(now, c);
  int32_t pruned = 0;
  for (int e = 0; e < 6; ++e) {
    const int64_t steps = a.begin_epoch(data);
    ASSERT_EQ(steps, b.begin_epoch(data));
    for (int64_t s = 0; s < steps; ++s) {
      const StepStats x = a.step(data, s), y = b.step(data, s);
      ASSERT_EQ(x.loss, y.loss) << "epoch " << e << " step " << s;
      ASSERT_EQ(x.grad_norm, y.grad_norm);
      ASSERT_EQ(x.step_flops, y.step_flops);
      ASSERT_EQ(x.live_sections, y.live_sections);
    }
  }
  for (int32_t l = 0; l < L; ++l) {
    EXPECT_EQ(old.gate(l).theta, now.gate(l).theta) << l;
    EXPECT_EQ(old.gate(l).pruned, now.gate(l).pruned) << l;
    pruned += now.gate(l).pruned;
  }
  EXPECT_GT(pruned, 0) << "the run should prune, so freed sections are compared too";
  expect_same_state(old, now, conv, "after training");
  EXPECT_EQ(old.param_count(), now.param_count());
}

class LegacyEquivalence : public ::testing::TestWithParam<bool> {
 protected:
  Backends backend() const { return GetParam() ? make_reference_backend : make_cpu_backend; }
};

TEST_P(LegacyEquivalence, ResidualMlpWithIdentityAndProjectionSkips) {
  legacy::MlpArchitecture la;
  la.input = 20;
  la.stem_width = 16;
  la.section_widths = {16, 24, 24, 12};
  la.classes = 5;
  legacy::ResidualMlp old(backend()(), la, 9);
  Network now(backend()(), mlp_architecture(20, 16, {16, 24, 24, 12}, 5), 9);
  auto data = test::blobs(24, 20, 5, 1);
  expect_same_network(old, now, false, *data, 24);
}

legacy::ConvNetArchitecture legacy_tiny(bool post_activation) {
  legacy::ConvNetArchitecture a;
  a.in_channels = 2;
  a.height = 6;
  a.width = 6;
  a.stem_channels = 4;
  a.stages = {{4, 2, 1}, {8, 1, 2}};
  a.classes = 3;
  a.post_activation = post_activation;
  return a;
}

TEST_P(LegacyEquivalence, ResNetWithIdentityAndStridedProjection) {
  for (bool post : {false, true}) {
    SCOPED_TRACE(post ? "h = ReLU" : "h = identity");
    legacy::ResidualConvNet old(backend()(), legacy_tiny(post), 5);
    Network now(backend()(), test::conv_arch({2, 6, 6}, 4, {{4, 2, 1}, {8, 1, 2}}, 3, post), 5);
    auto data = test::blobs(16, 72, 3, 2);
    expect_same_network(old, now, true, *data, 16);
  }
}

TEST_P(LegacyEquivalence, PlainSectionsWithTransitionsAndCeilPools) {
  legacy::ConvNetArchitecture la;
  la.in_channels = 1;
  la.height = 7;
  la.width = 7;
  la.stem_channels = 3;
  la.stages = {{3, 1, 1, true, true}, {5, 2, 1, true, true}};
  la.classes = 3;
  legacy::ResidualConvNet old(backend()(), la, 2);
  Architecture a;
  a.input = {1, 7, 7};
  a.image = true;
  a.stem = conv_layer(3, 3);
  StageSpec first;
  first.kind = SectionKind::kPlain;
  first.widths = {3};
  first.pool = max_pool(2, 2, 0, true);
  StageSpec second = first;
  second.has_transition = true;
  second.transition = conv_layer(5, 3);
  second.widths = {5, 5};
  a.stages = {first, second};
  a.classes = 3;
  a.family = Family::kVgg;
  Network now(backend()(), a, 2);
  auto data = test::blobs(16, 49, 3, 3);
  expect_same_network(old, now, true, *data, 16);
}

TEST_P(LegacyEquivalence, LeNetPreset) {
  legacy::ResidualConvNet old(backend()(), legacy::lenet5(1, 12, 12, 3), 4);
  Network now(backend()(), lenet5({1, 12, 12}, 3), 4);
  auto data = test::blobs(16, 144, 3, 4);
  expect_same_network(old, now, true, *data, 16);
}

TEST_P(LegacyEquivalence, CifarResNetPreset) {
  legacy::ResidualConvNet old(backend()(), legacy::resnet_cifar(8, 3, 8, 8, 3), 6);
  Network now(backend()(), resnet_cifar(8, {3, 8, 8}, 3), 6);
  auto data = test::blobs(12, 192, 3, 5);
  expect_same_network(old, now, true, *data, 12);
}

INSTANTIATE_TEST_SUITE_P(Backend, LegacyEquivalence, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) { return i.param ? "Reference" : "OneDnn"; });

// The presets' plans have the legacy plans' shapes, parameter counts and FLOPs.
TEST(Presets, MatchTheLegacyPresets) {
  const auto compare = [](const legacy::ConvNetArchitecture& old, const Architecture& now) {
    const Plan plan = plan_of(now);
    const auto dims = old.section_dims();
    ASSERT_EQ(int32_t(dims.size()), plan.sections());
    for (int32_t l = 0; l < plan.sections(); ++l) {
      const PlanOp& s = plan.section(l);
      EXPECT_EQ(std::make_tuple(dims[l].in_c, dims[l].in_h, dims[l].out_c, dims[l].out_h, dims[l].projection()),
                std::make_tuple(s.in.c, s.in.h, s.out.c, s.out.h, s.projection))
          << "section " << l;
    }
    const std::vector<bool> live(dims.size(), true);
    const std::vector<float> on(dims.size(), 1.f), half(dims.size(), 0.5f);
    EXPECT_EQ(legacy::cost::params(old, live), cost::params(plan, live));
    EXPECT_EQ(legacy::cost::forward_flops(old, on), cost::forward_flops(plan, on));
    EXPECT_EQ(legacy::cost::forward_flops(old, half, 1), cost::forward_flops(plan, half, 1));
  };
  for (int depth : {8, 20, 56, 110}) compare(legacy::resnet_cifar(depth, 3, 32, 32, 10), resnet_cifar(depth, {3, 32, 32}, 10));
  compare(legacy::resnet_cifar(20, 1, 28, 28, 10), resnet_cifar(20, {1, 28, 28}, 10));
  compare(legacy::vgg16(3, 32, 32, 10), vgg16({3, 32, 32}, 10));
  compare(legacy::vgg16(1, 28, 28, 10), vgg16({1, 28, 28}, 10));
  compare(legacy::lenet5(1, 28, 28, 10), lenet5({1, 28, 28}, 10));
  compare(legacy::lenet5(3, 32, 32, 10), lenet5({3, 32, 32}, 10));
}

// Bottleneck sections -------------------------------------------------------------------

// input 3x9x9; conv3x3 stem to 8; one bottleneck stage: 2 sections of inner width 2
// (8 -> 2 -> 2 -> 8: identity skip), then 2 of inner width 4 with stride 2 (8 -> 16: a
// strided projection, then identity).
Architecture tiny_bottleneck(bool post_activation) {
  Architecture a;
  a.input = {3, 9, 9};
  a.image = true;
  a.stem = conv_layer(8, 3);
  StageSpec first, second;
  first.kind = second.kind = SectionKind::kBottleneck;
  first.widths = {2, 2};
  second.widths = {4, 4};
  second.stride = 2;
  first.relu_after = second.relu_after = post_activation;
  a.stages = {first, second};
  a.classes = 3;
  a.family = Family::kResNet;
  return a;
}

TEST(Bottleneck, FlopsAndParametersByHand) {
  // A bottleneck of inner width m on a C x H x W input, stride s, expansion e, output
  // K = e m at P x Q = ceil(H/s) x ceil(W/s):
  //   weights  C m + 9 m m + m K          (1x1, 3x3, 1x1 filters)
  //   params   weights + 2 m + 2 m        (two BNs' gamma and beta)
  //   FLOPs    2 (C m H W + 9 m m P Q + m K P Q)   (the 3x3 carries the stride)
  //   skip     C K weights, 2 C K P Q FLOPs when C != K or s != 1
  const Plan plan = plan_of(tiny_bottleneck(false));
  ASSERT_EQ(plan.sections(), 4);
  struct Case {
    int64_t C, H, m, s, K, P;
    bool projection;
  };
  const Case cases[] = {{8, 9, 2, 1, 8, 9, false}, {8, 9, 2, 1, 8, 9, false}, {8, 9, 4, 2, 16, 5, true},
                        {16, 5, 4, 1, 16, 5, false}};
  for (int32_t l = 0; l < 4; ++l) {
    const Case& k = cases[l];
    const PlanOp& s = plan.section(l);
    SCOPED_TRACE("section " + std::to_string(l));
    EXPECT_EQ(s.out, (Shape{k.K, k.P, k.P}));
    EXPECT_EQ(s.projection, k.projection);
    const int64_t weights = k.C * k.m + 9 * k.m * k.m + k.m * k.K;
    EXPECT_EQ(cost::section_weights(s), weights);
    EXPECT_EQ(cost::section_body_params(s), weights + 4 * k.m);
    EXPECT_EQ(cost::section_body_flops(s),
              2.0 * double(k.C * k.m * k.H * k.H + 9 * k.m * k.m * k.P * k.P + k.m * k.K * k.P * k.P));
    EXPECT_EQ(cost::section_skip_params(s), k.projection ? k.C * k.K : 0);
    EXPECT_EQ(cost::section_skip_flops(s), k.projection ? 2.0 * double(k.C * k.K * k.P * k.P) : 0.0);
  }
  // The whole network: stem 3x3x3 -> 8 with BN, the four sections, the skip, head 16 -> 3.
  int64_t total = 8 * 3 * 9 + 16 + 3 * 16 + 3 + cases[2].C * cases[2].K;
  for (int32_t l = 0; l < 4; ++l) total += cost::section_body_params(plan.section(l));
  EXPECT_EQ(cost::params(plan, {true, true, true, true}), total);
  Network m(make_cpu_backend(), tiny_bottleneck(false), 1);
  EXPECT_EQ(m.param_count(), total);
  int64_t held = 0;
  for (const ParamRef& p : m.params()) held += p.n;
  EXPECT_EQ(held, total);  // what the optimizer sees is what the cost model counts
}

TEST(Bottleneck, ResNet50PresetHasItsPublishedSize) {
  // torchvision's ResNet-50 has 25 557 032 parameters with 1000 classes; ours differs only by
  // the last BN of each body, which the W-B-a-W convention drops, and the projections' BNs
  // (ours are linear): 2 (256 x 3 + 512 x 4 + 1024 x 6 + 2048 x 3) + 2 (256 + 512 + 1024 + 2048)
  // fewer.
  const Plan plan = plan_of(resnet_imagenet(50, {3, 224, 224}, 1000));
  EXPECT_EQ(plan.sections(), 16);
  EXPECT_EQ(plan.ops[0].layer.kernel, 7);
  EXPECT_EQ(plan.ops[0].out, (Shape{64, 112, 112}));
  EXPECT_EQ(plan.ops[1].kind, PlanOp::kPool);
  EXPECT_EQ(plan.ops[1].out, (Shape{64, 56, 56}));
  EXPECT_EQ(plan.section(15).out, (Shape{2048, 7, 7}));
  EXPECT_EQ(cost::params(plan, std::vector<bool>(16, true)),
            25557032 - 2 * (256 * 3 + 512 * 4 + 1024 * 6 + 2048 * 3) - 2 * (256 + 512 + 1024 + 2048));
  // 4.09 G multiply-adds (the usual "4.1 GFLOPs") = 8.18 G of our FLOPs.
  const double flops = cost::forward_flops(plan, std::vector<float>(16, 1.f));
  EXPECT_GT(flops, 8.1e9);
  EXPECT_LT(flops, 8.25e9);
  // Small images: a 3x3 stride-1 stem and no pool.
  const Plan cifar = plan_of(resnet_imagenet(50, {3, 32, 32}, 10));
  EXPECT_EQ(cifar.ops[0].layer.kernel, 3);
  EXPECT_EQ(cifar.ops[1].kind, PlanOp::kSection);
  EXPECT_EQ(cifar.section(15).out, (Shape{2048, 4, 4}));
  // ResNet-18 and 34: basic blocks 2-2-2-2 and 3-4-6-3 (11.69 M and 21.80 M in torchvision,
  // less one BN per block and the projections' BNs).
  EXPECT_EQ(plan_of(resnet_imagenet(18, {3, 224, 224}, 1000)).sections(), 8);
  EXPECT_EQ(cost::params(plan_of(resnet_imagenet(18, {3, 224, 224}, 1000)), std::vector<bool>(8, true)),
            11689512 - 2 * (64 * 2 + 128 * 2 + 256 * 2 + 512 * 2) - 2 * (128 + 256 + 512));
  EXPECT_EQ(cost::params(plan_of(resnet_imagenet(34, {3, 224, 224}, 1000)), std::vector<bool>(16, true)),
            21797672 - 2 * (64 * 3 + 128 * 4 + 256 * 6 + 512 * 3) - 2 * (128 + 256 + 512));
}

std::unique_ptr<Dataset> images(int64_t count, const Architecture& a, uint64_t seed) {
  return test::blobs(count, a.input.size(), a.classes, seed, 1.5);
}

TEST(Bottleneck, OneDnnMatchesReferenceAndFiniteDifferences) {
  for (bool post : {false, true}) {
    SCOPED_TRACE(post ? "h = ReLU" : "h = identity");
    const Architecture a = tiny_bottleneck(post);
    Network fast(make_cpu_backend(), a, 3), ref(make_reference_backend(), a, 3);
    auto data = images(5, a, 7);
    test::load_rows(fast, *data, 5);
    test::load_rows(ref, *data, 5);
    for (auto gates : {std::vector<float>{1, 1, 1, 1}, std::vector<float>{0, 1, 0, 1}, std::vector<float>{1, 0, 1, 0}}) {
      std::vector<float> lf(15), lr(15);
      fast.backend().to_host(lf.data(), fast.forward(5, gates, GatedNetwork::kTraining), sizeof(float) * 15);
      ref.backend().to_host(lr.data(), ref.forward(5, gates, GatedNetwork::kTraining), sizeof(float) * 15);
      test::expect_close(lf, lr, 1e-4, 1e-3, "logits");
      fast.loss(5, true, nullptr);
      ref.loss(5, true, nullptr);
      std::vector<double> df(4), dr(4);
      fast.backward(5, gates, GatedNetwork::kAllLive, &df);
      ref.backward(5, gates, GatedNetwork::kAllLive, &dr);
      test::expect_close(gradients(fast), gradients(ref), 2e-4, 2e-3, "gradients");
      for (int32_t l = 0; l < 4; ++l) EXPECT_NEAR(df[l], dr[l], 1e-5 + 1e-3 * std::fabs(dr[l])) << "directional " << l;
      for (int32_t l = 0; l < 4; ++l) {
        std::vector<float> flipped = gates;
        flipped[l] = 1.f - flipped[l];
        fast.forward(5, flipped, GatedNetwork::kProbe);
        const double expected = fast.loss(5, false, nullptr);
        fast.forward(5, gates, GatedNetwork::kProbe);
        EXPECT_NEAR(fast.rerun_loss(5, gates, l, flipped[l]), expected, 1e-5) << "re-run " << l;
      }
    }
    // Finite differences on the reference network (probe passes: BN's batch statistics
    // without moving the running ones).
    const std::vector<float> gates = {1, 0, 1, 1};
    ref.forward(5, gates, GatedNetwork::kProbe);
    ref.loss(5, true, nullptr);
    ref.backward(5, gates);
    // In float32 a step of h moves a few pre-activations across a ReLU's kink (h = ReLU
    // after the sum, ReLUs inside the body), where the central difference is not the
    // derivative: a few entries in a hundred may miss, the rest must agree.
    int checked = 0, missed = 0;
    for (const ParamRef& p : ref.params())
      for (int64_t i = 0; i < p.n; i += std::max<int64_t>(1, p.n / 3)) {
        const float saved = p.w[i];
        const double h = 1e-3;
        p.w[i] = saved + float(h);
        ref.forward(5, gates, GatedNetwork::kProbe);
        const double up = ref.loss(5, false, nullptr);
        p.w[i] = saved - float(h);
        ref.forward(5, gates, GatedNetwork::kProbe);
        const double down = ref.loss(5, false, nullptr);
        p.w[i] = saved;
        missed += std::fabs(p.g[i] - (up - down) / (2 * h)) > 3e-3 + 3e-2 * std::fabs(p.g[i]);
        ++checked;
      }
    EXPECT_GT(checked, 40);
    EXPECT_LE(missed, checked / 25) << missed << " of " << checked << " entries differ from the central difference";
  }
}

TEST(Bottleneck, SkippedSectionsAliasAndPrunedOnesFreeTheirBuffers) {
  const Architecture a = tiny_bottleneck(false);
  Network m(make_cpu_backend(), a, 4);
  m.ensure_capacity(4);
  auto data = images(4, a, 8);
  test::load_rows(m, *data, 4);
  // A skipped identity section passes z_l on as it is (no copy): the next op reads it.
  m.forward(4, {0, 1, 1, 1}, GatedNetwork::kTraining);
  const int64_t bytes = m.native_bytes(), params = m.param_count();
  m.prune(0, 2);
  m.prune(2, 2);  // the projection stays
  const Section& s0 = m.section(0);
  for (const Layer& layer : s0.body) EXPECT_FALSE(layer.weight || layer.pre || layer.out || layer.bn.running_mean);
  EXPECT_FALSE(s0.output);
  EXPECT_TRUE(m.section(2).skip.weight && m.section(2).output);
  EXPECT_EQ(m.param_count(), params - cost::section_body_params(m.plan().section(0)) -
                                 cost::section_body_params(m.plan().section(2)));
  EXPECT_LT(m.native_bytes(), bytes);
  int64_t held = 0;
  for (const ParamRef& p : m.params()) held += p.n;
  EXPECT_EQ(held, m.param_count());
  // Running statistics move only for sections that ran.
  const auto running = [&](int32_t l) { return m.download(m.section(l).body[1].bn.running_var); };
  const auto before = running(3);
  m.forward(4, {0, 0, 0, 0}, GatedNetwork::kTraining);
  EXPECT_EQ(running(3), before);
  m.forward(4, {0, 0, 0, 1}, GatedNetwork::kTraining);
  EXPECT_NE(running(3), before);
}

// The ImageNet stem: 7x7 stride-2 conv and a 3x3 stride-2 padded max pool whose windows
// overlap (the backward sums an element's outputs in order).
TEST(ImageNetStem, OneDnnMatchesReference) {
  Architecture a = tiny_bottleneck(true);
  a.input = {3, 19, 19};
  a.stem = conv_layer(8, 7, 2, 3);
  a.stem_pool = max_pool(3, 2, 1);
  const Plan plan = plan_of(a);
  EXPECT_EQ(plan.ops[0].out, (Shape{8, 10, 10}));
  EXPECT_EQ(plan.ops[1].out, (Shape{8, 5, 5}));
  Network fast(make_cpu_backend(), a, 5), ref(make_reference_backend(), a, 5);
  auto data = images(4, a, 9);
  test::load_rows(fast, *data, 4);
  test::load_rows(ref, *data, 4);
  const std::vector<float> gates = {1, 1, 0, 1};
  std::vector<float> lf(12), lr(12);
  fast.backend().to_host(lf.data(), fast.forward(4, gates, GatedNetwork::kTraining), sizeof(float) * 12);
  ref.backend().to_host(lr.data(), ref.forward(4, gates, GatedNetwork::kTraining), sizeof(float) * 12);
  test::expect_close(lf, lr, 1e-4, 1e-3, "logits");
  fast.loss(4, true, nullptr);
  ref.loss(4, true, nullptr);
  fast.backward(4, gates);
  ref.backward(4, gates);
  test::expect_close(gradients(fast), gradients(ref), 2e-4, 2e-3, "gradients");
}

TEST(ResidualMlpWidths, SectionsOfAnyWidthTrain) {
  // 512-256-128 as in the issue, on a small input: stem 512, sections 512 (identity),
  // 256 and 128 (projections).
  const Architecture a = mlp_architecture(24, 512, {512, 256, 128}, 4);
  const Plan plan = plan_of(a);
  EXPECT_FALSE(plan.section(0).projection);
  EXPECT_TRUE(plan.section(1).projection && plan.section(2).projection);
  EXPECT_EQ(cost::section_weights(plan.section(1)), 512 * 256 + 256 * 256);
  Network m(make_cpu_backend(), a, 2);
  auto data = test::blobs(256, 24, 4, 3);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.total_steps = 3 * 8;
  TrainingSession t(m, c);
  for (int e = 0; e < 3; ++e) {
    const int64_t steps = t.begin_epoch(*data);
    for (int64_t b = 0; b < steps; ++b) t.step(*data, b);
  }
  EXPECT_GT(evaluate(m, *data, EVAL_EXPECTED).accuracy, 0.8);
}

TEST(ResNet50, TrainsAFewStepsAtAQuarterOfItsWidth) {
  // The real topology (16 bottleneck sections, 3-4-6-3, strided projections) at width 1/4
  // (16..128 inner channels, 512 out), so a test-sized run stays quick.
  const Architecture a = resnet_imagenet(50, {3, 16, 16}, 4, 0.25);
  Network m(make_cpu_backend(), a, 1);
  EXPECT_EQ(m.sections(), 16);
  auto data = test::blobs(32, a.input.size(), 4, 2, 0.5);
  TrainConfig c = default_train_config(FAMILY_RESNET);
  c.batch_size = 8;
  c.total_steps = 8;
  c.augment_pad = 0;
  c.augment_flip = 0;
  TrainingSession t(m, c);
  double first = 0, last = 0;
  for (int e = 0; e < 2; ++e) {
    const int64_t steps = t.begin_epoch(*data);
    for (int64_t b = 0; b < steps; ++b) {
      const StepStats s = t.step(*data, b);
      if (e == 0 && b == 0) first = s.loss;
      last = s.loss;
      EXPECT_TRUE(std::isfinite(s.loss));
    }
  }
  EXPECT_LT(last, first * 1.5);  // it moves without diverging
}


// ensure_capacity counts the per-batch buffers with the same list it allocates: from a fresh
// network, the native bytes grow by exactly batch_bytes(rows); and a batch whose buffers exceed
// the available memory is refused with the numbers before anything is allocated.
TEST(NetworkMemory, BatchBytesAreWhatEnsureCapacityAllocatesAndTooLargeBatchesAreRefused) {
  for (const Architecture& a : {test::small_arch(12, 16, 3, 4), resnet_cifar(20, {3, 16, 16}, 10)}) {
    Network net(make_cpu_backend(), a, 1);
    const int64_t before = net.native_bytes();
    net.ensure_capacity(24);
    EXPECT_EQ(net.native_bytes() - before, net.batch_bytes(24));
    net.ensure_capacity(40);  // growing replaces the buffers: what is held is the larger batch's
    EXPECT_EQ(net.native_bytes() - before, net.batch_bytes(40));
  }
  Network big(make_cpu_backend(), resnet_cifar(20, {3, 32, 32}, 10), 1);
  const int64_t rows = 4 * physical_memory_bytes() / big.batch_bytes(1) + 1;
  const int64_t held = big.native_bytes();
  try {
    big.ensure_capacity(rows);
    FAIL() << "a batch of " << rows << " rows was not refused";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("could not allocate the activations of a batch of " + std::to_string(rows)),
              std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("use a smaller batch"), std::string::npos) << e.what();
  }
  EXPECT_EQ(big.native_bytes(), held);  // nothing was allocated
  EXPECT_EQ(big.capacity(), 0);
}

}  // namespace
}  // namespace layerprune
