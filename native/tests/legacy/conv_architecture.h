// The shape of a convolutional residual network (CIFAR-style ResNet): a 3x3 conv-BN-
// ReLU stem, stages of gated W-B-a-W sections (conv3x3-BN-ReLU-conv3x3, the basic
// block without its last BN), a global-average-pool and dense head. The first block
// of a stage may downsample (stride 2) and change channels: its skip is then a 1x1
// strided projection (linear, no BN). Activations are NHWC.
#pragma once
#include <cstdint>
#include <vector>

#include "backend/backend.h"

namespace layerprune::legacy {

struct ConvStage {
  int64_t channels = 16;
  int32_t blocks = 1;
  int64_t stride = 1;       // of the stage's first block (residual stages)
  bool plain = false;       // VGG: sections are conv3x3-BN-ReLU with an identity skip; an
                            // ungated conv-BN-ReLU transition first changes the channels
  bool pool_after = false;  // 2x2 max pooling, stride 2 (ceil), after the stage
  int64_t kernel = 3;       // sections' filters: 3 (3x3, pad 1) or 1 (1x1: a dense layer
                            // on 1x1 images, after a flatten)
  int64_t transition_kernel = 3, transition_pad = 1;  // plain stages' channel transition
  bool flatten_after = false;  // (N, H, W, C) -> (N, 1, 1, H*W*C) after the stage (a no-op in NHWC)
};

// One step of the network after the stem, in order.
struct ConvOp {
  enum Kind { kSection, kTransition, kPool, kFlatten };
  Kind kind = kSection;
  int32_t index = 0;  // section, transition or pool index
  int64_t in_c = 0, in_h = 0, in_w = 0, out_c = 0, out_h = 0, out_w = 0, stride = 1;
  int64_t kernel = 3, pad = 1;  // sections' first conv and transitions
  bool plain = false;  // sections: conv-BN-ReLU body instead of W-B-a-W
  bool projection() const { return kind == kSection && (stride != 1 || in_c != out_c); }
};

struct ConvNetArchitecture {
  int64_t in_channels = 1, height = 28, width = 28;
  int64_t stem_channels = 16;
  int64_t stem_kernel = 3;  // same padding
  std::vector<ConvStage> stages;
  int32_t classes = 10;
  bool post_activation = false;  // h = ReLU after each section (classic ResNet); else identity

  // Every step after the stem, in order; and the sections' steps alone.
  using SectionDims = ConvOp;
  std::vector<ConvOp> plan() const;
  std::vector<SectionDims> section_dims() const;
  int32_t sections() const;
  int64_t input_size() const { return in_channels * height * width; }
  void validate() const;
};

// CIFAR ResNet of depth 6n + 2 (20, 32, 56, 110): 16/32/64 channels, n blocks per stage.
ConvNetArchitecture resnet_cifar(int32_t depth, int64_t channels, int64_t height, int64_t width, int32_t classes);

// VGG16 (13 conv layers: 64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M, 512 x3, M) as
// a stem, 4 ungated channel transitions and 9 gated conv-BN-ReLU sections with identity
// skips, global average pooling and one dense layer.
ConvNetArchitecture vgg16(int64_t channels, int64_t height, int64_t width, int32_t classes);

// LeNet-5 with gated sections: a conv5x5-BN-ReLU stem (6 channels, same padding), 2x2 max
// pool, an ungated conv5x5 (valid) transition to 16 channels, max pool, flatten (400),
// then its two fully connected layers as gated sections 400 -> 120 and 120 -> 84 (1x1
// convolutions on 1x1 images: W-B-a-W with a linear projection skip), head 84 -> classes.
ConvNetArchitecture lenet5(int64_t channels, int64_t height, int64_t width, int32_t classes);

// Convolution geometries of the layers (batch N).
ConvGeometry conv_square(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t kernel, int64_t stride,
                         int64_t pad);
ConvGeometry conv3x3(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t stride);
ConvGeometry conv1x1(int64_t N, int64_t c_in, int64_t h, int64_t w, int64_t c_out, int64_t stride);

}  // namespace layerprune::legacy
