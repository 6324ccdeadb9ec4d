// The exported network (ALGORITHM.md 5) against the deterministic network it came from:
// same logits up to float summation order, for MLPs with identity and projection skips,
// ResNets with pruned projection sections (folded, or not across h = ReLU), VGG- and
// LeNet-style presets; what folding removed; the add_channel_bias op.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "export/export_graph.h"
#include "export/exported_network.h"
#include "model/architecture_json.h"
#include "model/cost.h"
#include "model/evaluation.h"
#include "model/network.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

// Random weights everywhere (BN gamma and beta too) and BN running statistics moved by a
// few training passes, so folding has real values to fold.
void scramble(GatedNetwork& m, uint64_t seed) {
  Rng rng(seed);
  Backend& be = m.backend();
  for (const ParamRef& p : m.params()) {
    std::vector<float> w(p.n);
    be.to_host(w.data(), p.w, sizeof(float) * p.n);
    for (float& x : w) x += float(rng.normal() * 0.1);
    be.to_device(p.w, w.data(), sizeof(float) * p.n);
  }
  const int64_t rows = 16;
  m.ensure_capacity(rows);
  std::vector<float> gates(m.sections(), 1.f);
  for (int pass = 0; pass < 3; ++pass) {
    const std::vector<float> x = test::random_vector(rows * m.input_size(), rng);
    be.to_device(m.input_buffer(), x.data(), sizeof(float) * x.size());
    m.forward(rows, gates, GatedNetwork::kTraining);
  }
}

// Sections in `off` get theta 0.2 (removed by the deterministic network), those in
// `pruned` are pruned outright; the rest keep theta 0.7 (xi = 1).
void gate(GatedNetwork& m, std::vector<int32_t> off, std::vector<int32_t> pruned) {
  for (int32_t l = 0; l < m.sections(); ++l) m.gate(l).theta = 0.7;
  for (int32_t l : off) m.gate(l).theta = 0.2;
  for (int32_t l : pruned) m.prune(l, 1);
}

double max_abs(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, double(std::fabs(x)));
  return m;
}

// Logits of the exported network against the model's deterministic predict. Folding
// and BN scale changes the float summation order: ~1e-5 relative to the logits' scale.
ExportGraph expect_export_matches(Network& m, uint64_t seed, int64_t count = 37) {
  Rng rng(seed);
  const std::vector<float> x = test::random_vector(count * m.input_size(), rng);
  std::vector<float> want(count * m.classes()), got(count * m.classes());
  predict(m, x.data(), count, EVAL_DETERMINISTIC, want.data());
  ExportGraph graph = build_export_graph(m);
  ExportedNetwork net(graph, make_cpu_backend());
  net.predict(x.data(), count, got.data());
  const double scale = std::max(1.0, max_abs(want));
  EXPECT_GT(max_abs(want), 1e-3) << "logits too small to test anything";
  test::expect_close(got, want, 2e-5 * scale, 1e-5, "exported logits");
  // The same graph on the reference backend: the executor does not depend on oneDNN.
  ExportedNetwork ref(graph, make_reference_backend());
  std::vector<float> got_ref(count * m.classes());
  ref.predict(x.data(), count, got_ref.data());
  test::expect_close(got_ref, want, 2e-5 * scale, 1e-5, "exported logits (reference backend)");
  return graph;
}

int count_ops(const ExportGraph& g, ExportOpKind kind) {
  return int(std::count_if(g.ops.begin(), g.ops.end(), [&](const ExportOp& o) { return o.kind == kind; }));
}

TEST(Export, MlpIdentitySkipsVanish) {
  Network m(make_cpu_backend(), test::small_arch(12, 16, 6, 4), 3);
  scramble(m, 1);
  gate(m, {1, 4}, {0, 2});
  const ExportGraph g = expect_export_matches(m, 2);
  EXPECT_EQ(g.sections_kept, 2);
  EXPECT_EQ(g.folded_maps, 0);
  // stem, 2 x (fc1, fc2, add), head
  EXPECT_EQ(g.ops.size(), 1u + 3u * 2u + 1u);
  // The exported weights are the live ones, nothing else.
  EXPECT_EQ(g.params(), cost::params(m.plan(), m.live_mask()) - cost::section_body_params(m.plan().section(1)) -
                            cost::section_body_params(m.plan().section(4)));
}

TEST(Export, MlpConsecutiveProjectionsFold) {
  // projections at sections 1, 3 and 5
  const Architecture a = mlp_architecture(12, 16, {16, 12, 12, 9, 9, 20}, 3);
  Network m(make_cpu_backend(), a, 4);
  scramble(m, 5);
  // Sections 1..3 removed: 16->12 projection, identity, 12->9 projection fold into one 16->9.
  gate(m, {1, 3}, {2});
  ExportGraph g = expect_export_matches(m, 6);
  EXPECT_EQ(g.folded_maps, 1);
  EXPECT_EQ(g.sections_kept, 3);
  // Section 5 removed too: its 9->20 projection then the head 20->3 fold as well (3*9 <= 3*20 + 20*9).
  gate(m, {1, 3, 5}, {});
  g = expect_export_matches(m, 7);
  EXPECT_EQ(g.folded_maps, 2);
  EXPECT_EQ(g.sections_kept, 2);
}

TEST(Export, MlpNothingPrunedIsTheWholeNetwork) {
  Network m(make_cpu_backend(), test::small_arch(10, 8, 3, 5), 8);
  scramble(m, 9);
  gate(m, {}, {});
  const ExportGraph g = expect_export_matches(m, 10, 600);  // more rows than one chunk
  EXPECT_EQ(g.sections_kept, 3);
  EXPECT_EQ(g.params(), m.param_count());
}

Architecture tiny_resnet(bool post_activation) {
  // sections 2 and 3 downsample with projections
  return test::conv_arch({2, 9, 9}, 4, {{4, 2, 1}, {6, 1, 2}, {8, 2, 2}}, 3, post_activation);
}

TEST(Export, ResNetPrunedTransitionsFoldIntoOneStridedConv) {
  Network m(make_cpu_backend(), tiny_resnet(false), 11);
  scramble(m, 12);
  gate(m, {0, 3}, {2});  // 2 and 3: 1x1 stride-2 projections back to back -> one 1x1 stride-4 conv
  const ExportGraph g = expect_export_matches(m, 13);
  EXPECT_EQ(g.folded_maps, 1);
  EXPECT_EQ(g.sections_kept, 2);
  bool strided4 = false;
  for (const ExportOp& op : g.ops) strided4 |= op.kind == ExportOpKind::kConv && op.kernel == 1 && op.stride == 4;
  EXPECT_TRUE(strided4);
  // stem + 1 BN per kept section folded into its conv
  EXPECT_EQ(g.folded_batchnorms, 1 + 2);
}

TEST(Export, ResNetPostActivationDoesNotFoldAcrossTheRelu) {
  Network m(make_cpu_backend(), tiny_resnet(true), 14);
  scramble(m, 15);
  gate(m, {0, 3}, {2});
  const ExportGraph g = expect_export_matches(m, 16);
  EXPECT_EQ(g.folded_maps, 0);
  // stem, section 1 (conv1, conv2), projections of 2 and 3 kept apart by their ReLUs, section 4
  EXPECT_EQ(count_ops(g, ExportOpKind::kConv), 1 + 2 + 1 + 1 + 2);
}

TEST(Export, VggStylePlainSections) {
  // a transition, pools with odd sizes
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
  Network m(make_cpu_backend(), a, 17);
  scramble(m, 18);
  gate(m, {1}, {});
  const ExportGraph g = expect_export_matches(m, 19);
  EXPECT_EQ(g.sections_kept, 2);
  EXPECT_EQ(count_ops(g, ExportOpKind::kMaxPool), 2);
}

TEST(Export, Vgg16PresetOnSmallImages) {
  Network m(make_cpu_backend(), vgg16({1, 8, 8}, 4), 20);
  scramble(m, 21);
  gate(m, {2, 5}, {0, 7});
  const ExportGraph g = expect_export_matches(m, 22, 5);
  EXPECT_EQ(g.sections_kept, 5);
}

TEST(Export, LeNetPrunedFullyConnectedSectionsFold) {
  Network m(make_cpu_backend(), lenet5({1, 28, 28}, 10), 23);
  scramble(m, 24);
  gate(m, {0, 1}, {});  // 400->120 and 120->84 projections compose into one 400->84 map
  ExportGraph g = expect_export_matches(m, 25, 9);
  EXPECT_EQ(g.folded_maps, 1);
  EXPECT_EQ(g.sections_kept, 0);
  EXPECT_EQ(count_ops(g, ExportOpKind::kFlatten), 1);
  gate(m, {}, {});
  g = expect_export_matches(m, 26, 9);
  EXPECT_EQ(g.folded_maps, 0);
  EXPECT_EQ(g.sections_kept, 2);
}

// Bottleneck sections behind an ImageNet stem (7x7 stride-2 conv, 3x3 stride-2 padded max
// pool): kept sections fold their two BNs, pruned identity sections vanish, pruned strided
// projections stay linear and compose, with h = ReLU they stay apart.
Architecture bottleneck_net(bool post_activation) {
  Architecture a;
  a.input = {3, 21, 21};
  a.image = true;
  a.stem = conv_layer(8, 7, 2, 3);
  a.stem_pool = max_pool(3, 2, 1);
  StageSpec first, second, third;
  first.kind = second.kind = third.kind = SectionKind::kBottleneck;
  first.widths = {2, 2};
  second.widths = {4};
  second.stride = 2;
  third.widths = {6, 6};
  third.stride = 2;
  first.relu_after = second.relu_after = third.relu_after = post_activation;
  a.stages = {first, second, third};
  a.classes = 4;
  a.family = Family::kResNet;
  return a;
}

TEST(Export, BottleneckSectionsAndTheImageNetStem) {
  Network m(make_cpu_backend(), bottleneck_net(false), 29);
  scramble(m, 30);
  // Sections 0, 1 | 2 | 3, 4: 2 and 3 are strided projections 8->16, 16->24 back to back -> one
  // stride-4 1x1 conv.
  gate(m, {0}, {2, 3});
  ExportGraph g = expect_export_matches(m, 31);
  EXPECT_EQ(g.sections_kept, 2);
  EXPECT_EQ(g.folded_maps, 1);
  EXPECT_EQ(count_ops(g, ExportOpKind::kMaxPool), 1);
  EXPECT_EQ(g.ops[1].kind, ExportOpKind::kMaxPool);
  EXPECT_EQ(std::make_tuple(g.ops[1].kernel, g.ops[1].stride, g.ops[1].pad, g.ops[1].ceil), std::make_tuple(3, 2, 1, false));
  EXPECT_EQ(g.folded_batchnorms, 1 + 2 * 2);  // the stem's, two per kept bottleneck
  // 1x1, 3x3, 1x1 of sections 1 and 3, the stem and the one composed projection
  EXPECT_EQ(count_ops(g, ExportOpKind::kConv), 1 + 3 * 2 + 1);
  EXPECT_EQ(architecture_from_json(g.architecture), m.architecture());
  gate(m, {}, {});
  g = expect_export_matches(m, 32);
  EXPECT_EQ(g.sections_kept, 3);  // 2 and 3 stay pruned
}

TEST(Export, BottleneckPostActivationDoesNotFoldAcrossTheRelu) {
  Network m(make_cpu_backend(), bottleneck_net(true), 33);
  scramble(m, 34);
  gate(m, {1, 3}, {2});
  const ExportGraph g = expect_export_matches(m, 35);
  EXPECT_EQ(g.folded_maps, 0);
  EXPECT_TRUE(g.post_activation);
}

TEST(Export, DenseSectionsAfterConvolutionsFlattenFirst) {
  // A conv stem, then dense sections on its 4x5x5 output: the first one's layers and its
  // projection read the 100 features in NHWC order.
  Architecture a;
  a.input = {1, 5, 5};
  a.image = true;
  a.stem = conv_layer(4, 3);
  StageSpec dense;
  dense.kind = SectionKind::kDense;
  dense.widths = {16, 16, 8};
  a.stages = {dense};
  a.classes = 3;
  Network m(make_cpu_backend(), a, 36);
  scramble(m, 37);
  gate(m, {}, {});
  ExportGraph g = expect_export_matches(m, 38);
  EXPECT_EQ(count_ops(g, ExportOpKind::kFlatten), 1);
  gate(m, {0, 1}, {});  // the 100 -> 16 projection survives alone
  g = expect_export_matches(m, 39);
  EXPECT_EQ(g.sections_kept, 1);
}

TEST(Export, MlpOfVaryingWidths) {
  Network m(make_cpu_backend(), mlp_architecture(30, 64, {64, 32, 32, 16}, 5), 40);
  scramble(m, 41);
  gate(m, {2}, {0});
  const ExportGraph g = expect_export_matches(m, 42);
  EXPECT_EQ(g.sections_kept, 2);
  EXPECT_FALSE(g.image_input);
}

TEST(Export, ValidateRejectsInconsistentGraphs) {
  Network m(make_cpu_backend(), test::small_arch(6, 5, 2, 3), 27);
  const ExportGraph good = build_export_graph(m);
  good.validate();
  ExportGraph g = good;
  g.tensors[0].data.pop_back();
  EXPECT_THROW(g.validate(), Error);
  g = good;
  g.ops[1].input = 99;
  EXPECT_THROW(g.validate(), Error);
  g = good;
  g.ops[0].output = 0;
  EXPECT_THROW(g.validate(), Error);
  g = good;
  g.values[g.output].c = 4;
  EXPECT_THROW(g.validate(), Error);
}

class ChannelBiasTest : public test::BackendFixture<bool> {
 protected:
  ChannelBiasTest() : BackendFixture(28) {}
};

TEST_P(ChannelBiasTest, MatchesReference) {
  const bool relu = GetParam();
  const int64_t rows = 1000, C = 7;  // more than the parallel threshold
  std::vector<float> y = test::random_vector(rows * C, rng), bias = test::random_vector(C, rng);
  float* dy = up(y);
  be->add_channel_bias(dy, up(bias), rows, C, relu);
  reference::add_channel_bias(y.data(), bias.data(), rows, C, relu);
  test::expect_close(down(dy, y.size()), y, 0.0, 0.0, "add_channel_bias");
  bool clipped = false;
  for (float v : y) clipped |= v == 0.f;
  EXPECT_EQ(clipped, relu);
}

INSTANTIATE_TEST_SUITE_P(Relu, ChannelBiasTest, ::testing::Bool());

}  // namespace
}  // namespace layerprune
