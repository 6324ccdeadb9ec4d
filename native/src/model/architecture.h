// The architecture description of a gated network, independent of weights and device, the
// same in C++, JSON (model/architecture_json.h) and Java (io.layerprune.Architecture):
//
//   input    channels x height x width (an NHWC image) or a feature vector
//   stem     one ungated layer: dense (bias, optional ReLU) or conv k x k with stride (optional
//            BN + ReLU), then an optional max pool
//   stages   each: an optional ungated transition layer, gated sections of one kind and any
//            widths (dense W-a-W; conv basic W-B-a-W; bottleneck 1x1-B-a-3x3-B-a-1x1; plain
//            conv-B-a), skip identity or projection (a linear dense matrix or 1x1 strided
//            conv), h identity or ReLU, then an optional max pool and flatten
//   head     global average pool (when the last value is spatial) and a dense layer
//
// and the plan it expands to (`plan_of`): every op in order with its shapes, which the network
// (model/network.h), the cost model (model/cost.h) and export all walk. Presets (mlp, lenet5,
// vgg16, CIFAR and ImageNet ResNets) are short recipes over the description.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace layerprune {

// Whose training defaults apply; the values are ArchitectureFamily's in layerprune/api.h.
enum class Family : int32_t { kMlp = 0, kResNet = 1, kVgg = 2, kLeNet = 3 };
enum class LayerKind : int32_t { kDense = 0, kConv = 1 };
// What a gated section's body B_l is:
//   kDense       W-a-W: dense + bias, ReLU, dense + bias
//   kBasic       W-B-a-W: conv k x k (stride) - BN - ReLU - conv k x k (the basic block without
//                its last BN)
//   kBottleneck  conv 1x1 - BN - ReLU - conv k x k (stride) - BN - ReLU - conv 1x1 to
//                expansion x width channels (no last BN, as kBasic)
//   kPlain       conv k x k (stride) - BN - ReLU (VGG)
enum class SectionKind : int32_t { kDense = 0, kBasic = 1, kBottleneck = 2, kPlain = 3 };
// The skip S_l: kAuto is the identity where the section keeps the shape, a projection where
// it changes it; kIdentity insists (an error where the shape changes); kProjection always
// learns one.
enum class SkipKind : int32_t { kAuto = 0, kIdentity = 1, kProjection = 2 };

const char* family_name(Family f);            // "mlp", "resnet", "vgg", "lenet"
const char* section_kind_name(SectionKind k); // "dense", "basic", "bottleneck", "plain"

// Per-sample shape of a value, NHWC: channels x height x width; dense values are (n, 1, 1).
struct Shape {
  int64_t c = 0, h = 1, w = 1;
  int64_t size() const { return c * h * w; }
  bool spatial() const { return h > 1 || w > 1; }
  bool operator==(const Shape& o) const { return c == o.c && h == o.h && w == o.w; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string str() const;  // "16x8x8"
};

// An ungated layer (the stem, a transition). Dense: y = W x + b (a spatial input is read as its
// H*W*C features, NHWC order), optional ReLU, no batch norm. Conv: k x k filters with stride and
// symmetric zero padding, no bias, optional BN, optional ReLU.
struct LayerSpec {
  LayerKind kind = LayerKind::kConv;
  int64_t out = 0;  // width (dense) or channels (conv)
  int64_t kernel = 3, stride = 1;
  int64_t pad = -1;  // conv: -1 is kernel / 2 (same size at stride 1)
  bool batchnorm = false;
  bool relu = true;
  int64_t padding() const { return pad < 0 ? kernel / 2 : pad; }
  bool operator==(const LayerSpec& o) const;
};
LayerSpec dense_layer(int64_t width, bool relu = true);
LayerSpec conv_layer(int64_t channels, int64_t kernel, int64_t stride = 1, int64_t pad = -1, bool batchnorm = true,
                     bool relu = true);

// Max pooling over kernel x kernel windows (0: none); ceil mode keeps a last partial window
// (PoolGeometry in backend/backend.h), floor mode drops it.
struct PoolSpec {
  int64_t kernel = 0, stride = 2, pad = 0;
  bool ceil = false;
  bool present() const { return kernel > 0; }
  bool operator==(const PoolSpec& o) const;
};
PoolSpec max_pool(int64_t kernel, int64_t stride, int64_t pad = 0, bool ceil = false);

struct StageSpec {
  bool has_transition = false;
  LayerSpec transition;         // ungated, before the sections (VGG's channel changes, LeNet's conv2)
  SectionKind kind = SectionKind::kBasic;
  std::vector<int64_t> widths;  // one per gated section: dense width, conv channels, bottleneck inner width
  int64_t stride = 1;           // conv kinds: the first section's stride
  int64_t kernel = 3;           // conv kinds: the (middle) filter size, odd
  int64_t expansion = 4;        // bottleneck: output channels = expansion x width
  SkipKind skip = SkipKind::kAuto;
  bool relu_after = false;      // h = ReLU after each section (post-activation); else the identity
  PoolSpec pool;                // after the sections
  bool flatten = false;         // (C, H, W) -> (H*W*C, 1, 1) after the pool (a no-op in NHWC memory)
  bool operator==(const StageSpec& o) const;
};

struct Architecture {
  std::string name;    // for reports ("resnet50", "residual-mlp"); presets set it, "" is allowed
  Shape input;         // dense input: (features, 1, 1)
  bool image = false;  // the input is an NHWC image (augmentation can crop and flip it)
  LayerSpec stem;
  PoolSpec stem_pool;
  std::vector<StageSpec> stages;
  int32_t classes = 0;
  Family family = Family::kMlp;

  int32_t sections() const;
  // Throws Error naming the offending field ("stages[2].widths[0] must be > 0, got -3").
  void validate() const;
  bool operator==(const Architecture& o) const;
  bool operator!=(const Architecture& o) const { return !(*this == o); }
};

// The family an architecture's sections suggest: bottleneck or basic -> resnet, plain -> vgg,
// else mlp (presets and descriptions may name another, e.g. lenet).
Family derived_family(const Architecture& a);

// Plan ---------------------------------------------------------------------------------

// One linear map (dense or conv) and what follows it: a bias (dense), BN, ReLU.
struct LayerPlan {
  LayerKind kind = LayerKind::kDense;
  Shape in, out;
  int64_t kernel = 1, stride = 1, pad = 0;
  bool bias = false, batchnorm = false, relu = false;
  int64_t fan_in() const { return kind == LayerKind::kDense ? in.size() : in.c * kernel * kernel; }
  int64_t weights() const { return out.c * fan_in(); }
  int64_t params() const { return weights() + (bias ? out.c : 0) + (batchnorm ? 2 * out.c : 0); }
  // Per sample: 2 per multiply-add of the matrix product (biases, BN and ReLU not counted).
  double flops() const { return 2.0 * double(weights()) * double(out.h * out.w); }
  ConvGeometry geometry(int64_t N) const;
};

struct PlanOp {
  enum Kind { kLayer, kPool, kFlatten, kSection };
  Kind kind = kLayer;
  int32_t index = 0;  // ungated layer (0 is the stem, i > 0 transition i-1), pool or section index
  int32_t stage = -1; // the stage it comes from (-1: the stem)
  Shape in, out;
  LayerPlan layer;  // kLayer
  PoolSpec pool;    // kPool
  // kSection: z_{l+1} = h(S(z_l) + xi_l B(z_l)), B = body (layers in order), S = identity or skip.
  SectionKind section = SectionKind::kDense;
  std::vector<LayerPlan> body;
  bool projection = false;
  LayerPlan skip;
  bool relu_after = false;
  PoolGeometry pool_geometry(int64_t N) const;
};

struct Plan {
  Shape input;
  std::vector<PlanOp> ops;           // ops[0] is the stem
  std::vector<size_t> op_of_section; // index into ops of each section
  LayerPlan head;                    // dense + bias on the (pooled) last value
  bool head_pool = false;            // global average pooling first (the last value is spatial)
  int32_t layers = 0, pools = 0;     // ungated layers (stem included) and pools
  int32_t sections() const { return static_cast<int32_t>(op_of_section.size()); }
  const PlanOp& section(int32_t l) const { return ops[op_of_section[l]]; }
  int64_t max_activation() const;    // largest per-sample value after the input (floats)
};

// Validates (naming the field) and expands the description.
Plan plan_of(const Architecture& a);

// Presets ---------------------------------------------------------------------------
// The residual MLP: dense stem input -> stem_width with ReLU, one dense section per width
// (identity skip where the width stays, a projection where it changes), head.
Architecture mlp_architecture(int64_t input, int64_t stem_width, const std::vector<int64_t>& widths, int32_t classes);
// CIFAR ResNet of depth 6n + 2 (20, 32, 56, 110): a 3x3 stem and 3 stages of n basic blocks,
// 16/32/64 channels times the width multiplier.
Architecture resnet_cifar(int32_t depth, Shape input, int32_t classes, double width_multiplier = 1.0);
// ImageNet-layout ResNet 18, 34 (basic blocks 2-2-2-2, 3-4-6-3) or 50 (bottleneck 3-4-6-3,
// expansion 4): 64/128/256/512 channels times the width multiplier; a 7x7 stride-2 stem and a
// 3x3 stride-2 max pool when the smaller side is >= 64 pixels, else a 3x3 stride-1 stem
// without pool (the usual layout for 32x32 images).
Architecture resnet_imagenet(int32_t depth, Shape input, int32_t classes, double width_multiplier = 1.0);
// VGG16's 13 conv layers (64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M, 512 x3, M) as a stem,
// 3 ungated channel transitions and 9 gated plain sections with identity skips, 2x2 ceil-mode
// pools, global average pooling and one dense layer; channels times the width multiplier.
Architecture vgg16(Shape input, int32_t classes, double width_multiplier = 1.0);
// LeNet-5: conv5x5-BN-ReLU stem (6 channels, same padding), 2x2 pool, an ungated conv5x5 (valid)
// transition to 16 channels, pool, flatten, then its fully connected layers as gated basic
// sections of 1x1 convolutions on 1x1 images (400 -> 120 -> 84, projection skips), head.
Architecture lenet5(Shape input, int32_t classes);
// By name: "mlp" (784-style input flattened, stem 256, 12 sections of 256, times the width
// multiplier), "mlp:512-256-128" (stem 512, one section per width), "lenet5", "vgg16",
// "resnet<6n+2>" (CIFAR), "resnet18", "resnet34", "resnet50" (ImageNet layout).
Architecture preset_architecture(const std::string& name, Shape input, int32_t classes, double width_multiplier);

// Every section's h set to ReLU (relu) or the identity: the classic post-activation ResNet.
void set_post_activation(Architecture& a, bool relu);

}  // namespace layerprune
