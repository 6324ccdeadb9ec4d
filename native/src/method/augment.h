// Standard image augmentation for training batches (NHWC): a random crop of the image
// padded by `pad` pixels on every side (edge pixels repeated), then a horizontal flip
// with probability 1/2 when `flip`.
#pragma once
#include <cstdint>

#include "core/rng.h"

namespace layerprune {

// The seed of the Rng that augments the batch of training step `global_step` (0-based):
// both values mixed through splitmix64's finalizer, so neighbouring steps and seeds get
// unrelated streams. Augmentation has its own stream per batch, not the session's, so a
// batch is the same whichever thread prepares it (method/batch_prefetcher.h).
uint64_t augment_seed(int64_t seed, int64_t global_step);

// One image's random crop offset and flip, drawn from `rng` as augment_image draws them (a
// data-parallel rank skips the draws of the rows before its shard with it).
struct AugmentDraw {
  int64_t dy = 0, dx = 0;
  bool mirror = false;
};
AugmentDraw draw_augment(int32_t pad, bool flip, Rng& rng);
void augment_image(const float* src, float* dst, int64_t channels, int64_t height, int64_t width, int32_t pad,
                   bool flip, Rng& rng);

}  // namespace layerprune
