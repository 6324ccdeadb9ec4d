#include "legacy/conv_architecture.h"

#include "core/error.h"
#include "core/memory_check.h"
#include "legacy/cost.h"

namespace layerprune::legacy {

std::vector<ConvOp> ConvNetArchitecture::plan() const {
  std::vector<ConvOp> ops;
  int64_t c = stem_channels, h = height, w = width;
  int32_t sections = 0, transitions = 0, pools = 0;
  for (const ConvStage& stage : stages) {
    if (stage.plain && c != stage.channels) {
      ConvOp t;
      t.kind = ConvOp::kTransition;
      t.index = transitions++;
      t.kernel = stage.transition_kernel, t.pad = stage.transition_pad;
      t.in_c = c, t.in_h = h, t.in_w = w, t.out_c = stage.channels;
      t.out_h = h + 2 * t.pad - t.kernel + 1, t.out_w = w + 2 * t.pad - t.kernel + 1;
      ops.push_back(t);
      c = t.out_c, h = t.out_h, w = t.out_w;
    }
    for (int32_t b = 0; b < stage.blocks; ++b) {
      ConvOp s;
      s.kind = ConvOp::kSection;
      s.index = sections++;
      s.plain = stage.plain;
      s.kernel = stage.kernel, s.pad = stage.kernel / 2;
      s.stride = stage.plain || b > 0 ? 1 : stage.stride;
      s.in_c = c, s.in_h = h, s.in_w = w, s.out_c = stage.channels;
      s.out_h = (h + 2 * s.pad - s.kernel) / s.stride + 1, s.out_w = (w + 2 * s.pad - s.kernel) / s.stride + 1;
      ops.push_back(s);
      c = s.out_c, h = s.out_h, w = s.out_w;
    }
    if (stage.pool_after) {
      ConvOp p;
      p.kind = ConvOp::kPool;
      p.index = pools++;
      p.in_c = c, p.in_h = h, p.in_w = w, p.out_c = c, p.out_h = (h + 1) / 2, p.out_w = (w + 1) / 2, p.stride = 2;
      ops.push_back(p);
      h = p.out_h, w = p.out_w;
    }
    if (stage.flatten_after) {
      ConvOp f;
      f.kind = ConvOp::kFlatten;
      f.in_c = c, f.in_h = h, f.in_w = w, f.out_c = c * h * w, f.out_h = 1, f.out_w = 1;
      ops.push_back(f);
      c = f.out_c, h = 1, w = 1;
    }
  }
  return ops;
}

std::vector<ConvNetArchitecture::SectionDims> ConvNetArchitecture::section_dims() const {
  std::vector<SectionDims> dims;
  for (const ConvOp& op : plan())
    if (op.kind == ConvOp::kSection) dims.push_back(op);
  return dims;
}

int32_t ConvNetArchitecture::sections() const {
  int32_t n = 0;
  for (const ConvStage& s : stages) n += s.blocks;
  return n;
}

void ConvNetArchitecture::validate() const {
  require(in_channels > 0 && height > 0 && width > 0, "could not build the network because the input shape ",
          in_channels, "x", height, "x", width, " is invalid");
  require(stem_channels > 0, "could not build the network because stem_channels must be > 0");
  require(classes >= 2, "could not build the network because classes must be >= 2, got ", classes);
  int64_t h = height, w = width;
  for (size_t i = 0; i < stages.size(); ++i) {
    const ConvStage& s = stages[i];
    require(s.channels > 0 && s.blocks >= 0 && (s.stride == 1 || s.stride == 2),
            "could not build the network because stage ", i, " is invalid (channels ", s.channels, ", blocks ",
            s.blocks, ", stride ", s.stride, ")");
    if (s.blocks > 0) h = (h - 1) / s.stride + 1, w = (w - 1) / s.stride + 1;
  }
  require(h >= 1 && w >= 1, "could not build the network because the input is too small for its strides");
  require(stem_kernel >= 1 && stem_kernel % 2 == 1, "could not build the network because the stem kernel must be odd");
  for (const ConvOp& op : plan())
    require(op.out_h >= 1 && op.out_w >= 1, "could not build the network because the input ", height, "x", width,
            " is too small for its layers");
  require(sections() <= (1 << 16) && in_channels * height * width <= (int64_t(1) << 26),
          "could not build the network because its sizes are unreasonably large");
  require_memory(12.0 * double(cost::params(*this, std::vector<bool>(size_t(sections()), true))), "build the network");
}

ConvNetArchitecture resnet_cifar(int32_t depth, int64_t channels, int64_t height, int64_t width, int32_t classes) {
  require(depth >= 8 && (depth - 2) % 6 == 0, "could not build a ResNet of depth ", depth,
          ": CIFAR ResNets have depth 6n + 2 (20, 32, 56, 110)");
  const int32_t n = (depth - 2) / 6;
  ConvNetArchitecture a;
  a.in_channels = channels;
  a.height = height;
  a.width = width;
  a.stem_channels = 16;
  a.stages = {{16, n, 1}, {32, n, 2}, {64, n, 2}};
  a.classes = classes;
  a.validate();
  return a;
}

ConvNetArchitecture vgg16(int64_t channels, int64_t height, int64_t width, int32_t classes) {
  ConvNetArchitecture a;
  a.in_channels = channels;
  a.height = height;
  a.width = width;
  a.stem_channels = 64;
  // Blocks count the gated sections; a stage whose channels differ from its input
  // starts with an ungated transition conv (128, 256, 512): 1 + 1+1 + 1+2 + 1+2 + 3
  // gated or transition convs after the stem = 12, plus the stem = 13.
  a.stages = {{64, 1, 1, true, true}, {128, 1, 1, true, true}, {256, 2, 1, true, true},
              {512, 2, 1, true, true}, {512, 3, 1, true, true}};
  a.classes = classes;
  a.validate();
  return a;
}

ConvNetArchitecture lenet5(int64_t channels, int64_t height, int64_t width, int32_t classes) {
  ConvNetArchitecture a;
  a.in_channels = channels;
  a.height = height;
  a.width = width;
  a.stem_channels = 6;
  a.stem_kernel = 5;
  ConvStage pool1{6, 0, 1, true, true};
  ConvStage conv2{16, 0, 1, true, true};
  conv2.transition_kernel = 5, conv2.transition_pad = 0, conv2.flatten_after = true;
  ConvStage fc1{120, 1, 1, false, false};
  fc1.kernel = 1;
  ConvStage fc2{84, 1, 1, false, false};
  fc2.kernel = 1;
  a.stages = {pool1, conv2, fc1, fc2};
  a.classes = classes;
  a.validate();
  return a;
}

ConvGeometry conv_square(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t kernel, int64_t stride,
                         int64_t pad) {
  ConvGeometry g;
  g.N = N, g.C = c_in, g.H = h, g.W = w, g.K = c_out, g.R = kernel, g.S = kernel, g.stride = stride, g.pad = pad;
  return g;
}

ConvGeometry conv3x3(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t stride) {
  ConvGeometry g;
  g.N = N, g.C = c_in, g.H = h, g.W = w, g.K = c_out, g.R = 3, g.S = 3, g.stride = stride, g.pad = 1;
  return g;
}

ConvGeometry conv1x1(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t stride) {
  ConvGeometry g;
  g.N = N, g.C = c_in, g.H = h, g.W = w, g.K = c_out, g.R = 1, g.S = 1, g.stride = stride, g.pad = 0;
  return g;
}

}  // namespace layerprune::legacy
