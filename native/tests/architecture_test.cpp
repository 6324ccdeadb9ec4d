// The architecture description: every preset and hand-written descriptions round-trip through
// JSON, defaults fill what a description leaves out, bad descriptions are refused with the
// offending field named, and the C API's description functions (presets, normalisation,
// summaries, model_create) agree with the cost model.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "api/handles.h"
#include "core/error.h"
#include "layerprune/api.h"
#include "model/architecture_json.h"
#include "model/cost.h"
#include "test_util.h"

namespace layerprune {
namespace {

struct PresetCase {
  const char* name;
  Shape input;
  int32_t classes;
  double width_multiplier;
  int32_t sections;
  Family family;
};

const PresetCase kPresets[] = {
    {"mlp", {1, 28, 28}, 10, 1.0, 12, Family::kMlp},
    {"mlp:512-256-128", {784, 1, 1}, 10, 1.0, 3, Family::kMlp},
    {"lenet5", {1, 28, 28}, 10, 1.0, 2, Family::kLeNet},
    {"vgg16", {3, 32, 32}, 10, 0.5, 9, Family::kVgg},
    {"resnet20", {1, 28, 28}, 10, 1.0, 9, Family::kResNet},
    {"resnet32", {3, 32, 32}, 10, 2.0, 15, Family::kResNet},
    {"resnet56", {3, 32, 32}, 100, 1.0, 27, Family::kResNet},
    {"resnet110", {3, 32, 32}, 10, 1.0, 54, Family::kResNet},
    {"resnet18", {3, 32, 32}, 10, 1.0, 8, Family::kResNet},
    {"resnet34", {3, 64, 64}, 10, 0.5, 16, Family::kResNet},
    {"resnet50", {3, 224, 224}, 1000, 1.0, 16, Family::kResNet},
    {"resnet50", {1, 28, 28}, 10, 1.0, 16, Family::kResNet},
};

TEST(ArchitectureJson, EveryPresetRoundTrips) {
  for (const PresetCase& p : kPresets) {
    SCOPED_TRACE(p.name);
    const Architecture a = preset_architecture(p.name, p.input, p.classes, p.width_multiplier);
    a.validate();
    EXPECT_EQ(a.sections(), p.sections);
    EXPECT_EQ(a.family, p.family);
    const std::string json = to_json(a);
    const Architecture back = architecture_from_json(json);
    EXPECT_TRUE(back == a) << json;
    EXPECT_EQ(to_json(back), json);  // canonical: a fixed point
  }
}

// A bottleneck network written by hand, defaults left out: kernel 3, stride 1, pad
// kernel / 2, batchnorm and relu true, expansion 4, skip auto, h identity, pool stride =
// kernel, floor mode; the family follows from the sections.
const char* kBottleneck = R"({
  "input": {"channels": 1, "height": 28, "width": 28},
  "stem": {"kind": "conv", "channels": 16, "pool": {"kernel": 3, "stride": 2, "pad": 1}},
  "stages": [
    {"kind": "bottleneck", "width": 8, "blocks": 2},
    {"kind": "bottleneck", "widths": [16, 16, 16], "stride": 2, "h": "relu"}
  ],
  "head": {"classes": 10}
})";

TEST(ArchitectureJson, DefaultsFillAHandWrittenBottleneck) {
  const Architecture a = architecture_from_json(kBottleneck);
  EXPECT_EQ(a.family, Family::kResNet);
  EXPECT_TRUE(a.image);
  EXPECT_EQ(a.stem, conv_layer(16, 3, 1, 1, true, true));
  EXPECT_EQ(a.stem_pool, max_pool(3, 2, 1, false));
  ASSERT_EQ(a.stages.size(), 2u);
  EXPECT_EQ(a.stages[0].kind, SectionKind::kBottleneck);
  EXPECT_EQ(a.stages[0].widths, (std::vector<int64_t>{8, 8}));
  EXPECT_EQ(a.stages[0].expansion, 4);
  EXPECT_EQ(a.stages[1].stride, 2);
  EXPECT_TRUE(a.stages[1].relu_after);
  EXPECT_FALSE(a.stages[0].relu_after);
  const Plan plan = plan_of(a);
  EXPECT_EQ(plan.ops[1].out, (Shape{16, 14, 14}));      // 28 -> 14 by the 3x3/2 pool
  EXPECT_TRUE(plan.section(0).projection);              // 16 -> 32 channels
  EXPECT_FALSE(plan.section(1).projection);
  EXPECT_EQ(plan.section(2).out, (Shape{64, 7, 7}));    // stride 2, 4 x 16 channels
  EXPECT_EQ(architecture_from_json(to_json(a)), a);
}

TEST(ArchitectureJson, AResidualMlpOfVaryingWidths) {
  const Architecture a = architecture_from_json(R"({"input": {"features": 784},
      "stem": {"kind": "dense", "width": 512},
      "stages": [{"kind": "dense", "widths": [512, 512]}, {"kind": "dense", "width": 256, "blocks": 2},
                 {"kind": "dense", "widths": [128]}],
      "head": {"classes": 10}})");
  EXPECT_EQ(a.family, Family::kMlp);
  EXPECT_FALSE(a.image);
  EXPECT_EQ(a.input, (Shape{784, 1, 1}));
  const Plan plan = plan_of(a);
  ASSERT_EQ(plan.sections(), 5);
  const bool projections[] = {false, false, true, false, true};
  for (int32_t l = 0; l < 5; ++l) EXPECT_EQ(plan.section(l).projection, projections[l]) << l;
  EXPECT_EQ(plan.head.in.c, 128);
  const std::string json = to_json(a);
  EXPECT_NE(json.find(R"("stem":{"kind":"dense","width":512,"relu":true})"), std::string::npos) << json;
  EXPECT_EQ(architecture_from_json(json), a);
}

std::string error_of(const std::string& json) {
  try {
    architecture_from_json(json);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(ArchitectureJson, BadDescriptionsNameTheField) {
  const std::string input = R"("input": {"channels": 3, "height": 32, "width": 32}, )";
  const std::string stem = R"("stem": {"kind": "conv", "channels": 16}, )";
  const std::string head = R"("head": {"classes": 10})";
  const auto with_stages = [&](const std::string& stages) {
    return "{" + input + stem + R"("stages": [)" + stages + "], " + head + "}";
  };
  const std::pair<std::string, std::string> cases[] = {
      {"{", "JSON is malformed"},
      {R"({"input": {"features": 33333333333333333e6333}})", "JSON is malformed"},  // found by fuzz_architecture
      {R"({"input": {"features": 1.5}, "stem": {"kind": "dense", "width": 8}, "head": {"classes": 2}})",
       "input.features must be an integer"},
      {R"({"input": {"features": 18446744073709551615}, "stem": {"kind": "dense", "width": 8}, "head": {"classes": 2}})",
       "input.features is unreasonably large"},
      {"[]", "must be an object"},
      {"{" + input + stem + head + R"(, "widht": 3})", "widht is not a field of"},
      {"{" + stem + head + "}", "input is missing"},
      {R"({"input": {"features": 0}, "stem": {"kind": "dense", "width": 8}, "head": {"classes": 2}})",
       "input.features must be > 0"},
      {"{" + input + R"("stem": {"kind": "mlp", "channels": 16}, )" + head + "}", "stem.kind 'mlp' is not one of dense, conv"},
      {"{" + input + R"("stem": {"kind": "dense", "width": 8, "kernel": 3}, )" + head + "}",
       "stem.kernel is not a field of stem"},
      {"{" + input + R"("stem": {"kind": "conv", "channels": 16, "kernel": 4, "pad": 5}, )" + head + "}",
       "stem.pad must be in [0, kernel)"},
      {"{" + input + R"("stem": {"kind": "conv", "channels": "16"}, )" + head + "}", "stem.channels must be an integer"},
      {"{" + input + stem + R"("head": {"classes": 1}})", "head.classes must be in [2, 65536], got 1"},
      {with_stages(R"({"kind": "resnet", "width": 8})"), "stages[0].kind 'resnet' is not one of dense, basic, bottleneck, plain"},
      {with_stages(R"({"kind": "basic", "width": 8}, {"kind": "basic", "widths": [8, 0]})"),
       "stages[1].widths[1] must be > 0, got 0"},
      {with_stages(R"({"kind": "basic", "width": 8, "widths": [8]})"), "stages[0].widths and width/blocks"},
      {with_stages(R"({"kind": "basic", "width": 8, "kernel": 2})"), "stages[0].kernel must be odd"},
      {with_stages(R"({"kind": "basic", "width": 8, "expansion": 2})"), "stages[0].expansion applies to bottleneck"},
      {with_stages(R"({"kind": "dense", "width": 8, "stride": 2})"), "stages[0].stride does not apply to dense"},
      {with_stages(R"({"kind": "basic", "width": 32, "skip": "identity"})"), "stages[0].skip is identity but section 0 maps"},
      {with_stages(R"({"kind": "basic", "width": 8, "skip": "none"})"), "stages[0].skip 'none' is not one of"},
      {with_stages(R"({"kind": "basic", "width": 8, "h": "tanh"})"), "stages[0].h 'tanh' is not one of identity, relu"},
      {with_stages(R"({"kind": "plain", "width": 16, "pool": {"kernel": 64}})"), "stages[0].pool.kernel must be in [1, 15]"},
      {with_stages(R"({"kind": "plain", "width": 16, "pool": {"kernel": 2}}, {"kind": "plain", "width": 16, "pool": {"kernel": 2}},
                      {"kind": "plain", "width": 16, "pool": {"kernel": 2}}, {"kind": "plain", "width": 16, "pool": {"kernel": 2}},
                      {"kind": "plain", "width": 16, "pool": {"kernel": 2}}, {"kind": "plain", "width": 16, "pool": {"kernel": 2}})"),
       "stages[5].pool (2x2 max pool, floor mode) does not fit its 16x1x1 input"},
      {with_stages(R"({"kind": "basic", "width": 16, "h": "identity"}, {"kind": "basic", "width": 16, "h": "relu"})"),
       "stages[1].h is relu, but section 1 has an identity skip on an input that may be negative"},
      {with_stages(R"({"kind": "basic", "width": 100000})"), "stages[0].widths[0] 100000 is unreasonably large"},
      {with_stages(R"({"transition": {"kind": "conv", "channels": 8, "pool": {"kernel": 2}}, "kind": "plain", "width": 8})"),
       "stages[0].transition.pool is not a field of stages[0].transition"},
      {R"({"version": 2, "input": {"features": 4}, "stem": {"kind": "dense", "width": 8}, "head": {"classes": 2}})",
       "version 2 is newer than this library reads"},
  };
  for (const auto& [json, want] : cases) {
    const std::string got = error_of(json);
    EXPECT_NE(got.find(want), std::string::npos) << "description: " << json << "\nerror: " << got;
  }
}

TEST(ArchitectureJson, PresetsRefuseBadSizes) {
  EXPECT_THROW(preset_architecture("resnet21", {3, 32, 32}, 10, 1.0), Error);
  EXPECT_THROW(preset_architecture("resnet101", {3, 224, 224}, 10, 1.0), Error);  // neither 6n + 2 nor 18/34/50
  EXPECT_THROW(preset_architecture("alexnet", {3, 32, 32}, 10, 1.0), Error);
  EXPECT_THROW(preset_architecture("mlp:512--128", {784, 1, 1}, 10, 1.0), Error);
  EXPECT_THROW(preset_architecture("resnet18", {3, 32, 32}, 10, 0.0), Error);
  EXPECT_THROW(preset_architecture("vgg16", {3, 32, 32}, 10, 1e9), Error);
}

TEST(ArchitectureCApi, PresetsSummariesAndModels) {
  set_num_threads(1);
  const std::string json = architecture_preset("resnet50", 3, 32, 32, 10, 0.25);
  const Plan plan = plan_of(architecture_from_json(json));
  ArchitectureSummary s{};
  architecture_summary(json.c_str(), &s);
  EXPECT_EQ(s.sections, 16);
  EXPECT_EQ(s.family, FAMILY_RESNET);
  EXPECT_EQ(s.input_size, 3 * 32 * 32);
  EXPECT_EQ(s.image_input, 1);
  EXPECT_EQ(s.stem_width, 16);
  EXPECT_EQ(s.params, cost::params(plan, std::vector<bool>(16, true)));
  EXPECT_EQ(s.flops_per_sample, cost::forward_flops(plan, std::vector<float>(16, 1.f)));
  ArchitectureSection sec{};
  architecture_section(json.c_str(), 3, &sec);  // the first block of stage 2: strided projection
  EXPECT_EQ(sec.kind, 2);
  EXPECT_EQ(sec.in_width, 64);
  EXPECT_EQ(sec.out_width, 128);
  EXPECT_EQ(sec.has_projection, 1);
  EXPECT_EQ(sec.weights, cost::section_weights(plan.section(3)));
  EXPECT_EQ(sec.skip_flops, cost::section_skip_flops(plan.section(3)));
  EXPECT_THROW(architecture_section(json.c_str(), 16, &sec), Error);

  Model* m = model_create(json.c_str(), 3, DEVICE_CPU);
  EXPECT_EQ(model_sections(m), 16);
  EXPECT_EQ(model_family(m), FAMILY_RESNET);
  EXPECT_EQ(model_params(m), s.params);
  EXPECT_EQ(std::string(model_architecture(m)), architecture_normalize(json.c_str()));
  model_destroy(m);
  // The family comes from the description, not from how the model was made.
  const std::string lenet = architecture_preset("lenet5", 1, 28, 28, 10, 1.0);
  m = model_create(lenet.c_str(), 1, DEVICE_CPU);
  EXPECT_EQ(model_family(m), FAMILY_LENET);
  model_destroy(m);
  // Post-activation for every section.
  const std::string post = architecture_with_post_activation(architecture_preset("resnet20", 3, 32, 32, 10, 1.0), 1);
  EXPECT_TRUE(architecture_from_json(post).stages[2].relu_after);
  EXPECT_THROW(model_create("{}", 1, DEVICE_CPU), Error);
  EXPECT_THROW(architecture_preset("resnet7", 3, 32, 32, 10, 1.0), Error);
}

TEST(ArchitectureCApi, SpecFactoriesAreThinWrappersOverPresets) {
  set_num_threads(1);
  const ResNetSpec rs{32, 3, 32, 32, 10, 1, 7, 0};
  Model* a = model_create_resnet(&rs);
  Architecture want = resnet_cifar(32, {3, 32, 32}, 10);
  set_post_activation(want, true);
  EXPECT_EQ(std::string(model_architecture(a)), to_json(want));
  Model* b = model_create(to_json(want).c_str(), 7, DEVICE_CPU);
  EXPECT_EQ(model_params(a), model_params(b));
  // Same description and seed: the same weights.
  for (size_t i = 0; i < a->net->state_tensors().size(); ++i) {
    const StateTensor x = a->net->state_tensors()[i], y = b->net->state_tensors()[i];
    ASSERT_EQ(x.name, y.name);
    ASSERT_EQ(0, std::memcmp(x.data, y.data, sizeof(float) * size_t(x.count))) << x.name;
  }
  model_destroy(a);
  model_destroy(b);
  const MlpSpec ms{784, 256, 12, 10, 1, 0};
  Model* mlp = model_create_mlp(&ms);
  EXPECT_EQ(std::string(model_architecture(mlp)), architecture_preset("mlp", 1, 28, 28, 10, 1.0));
  EXPECT_EQ(model_family(mlp), FAMILY_MLP);
  model_destroy(mlp);
}

}  // namespace
}  // namespace layerprune
