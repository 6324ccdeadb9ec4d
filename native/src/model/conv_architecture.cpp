#include "model/conv_architecture.h"

#include "core/error.h"

namespace layerprune {

std::vector<ConvNetArchitecture::SectionDims> ConvNetArchitecture::section_dims() const {
  std::vector<SectionDims> dims;
  int64_t c = stem_channels, h = height, w = width;
  for (const ConvStage& stage : stages)
    for (int32_t b = 0; b < stage.blocks; ++b) {
      const int64_t stride = b == 0 ? stage.stride : 1;
      const int64_t oh = (h + 2 - 3) / stride + 1, ow = (w + 2 - 3) / stride + 1;
      dims.push_back({c, h, w, stage.channels, oh, ow, stride});
      c = stage.channels, h = oh, w = ow;
    }
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

}  // namespace layerprune
