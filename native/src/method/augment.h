// Standard image augmentation for training batches (NHWC): a random crop of the image
// padded by `pad` pixels on every side (edge pixels repeated), then a horizontal flip
// with probability 1/2 when `flip`.
#pragma once
#include <cstdint>

#include "core/rng.h"

namespace layerprune {

void augment_image(const float* src, float* dst, int64_t channels, int64_t height, int64_t width, int32_t pad,
                   bool flip, Rng& rng);

}  // namespace layerprune
