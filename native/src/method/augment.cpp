#include "method/augment.h"

#include <algorithm>

namespace layerprune {

namespace {
uint64_t mix64(uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

uint64_t augment_seed(int64_t seed, int64_t global_step) {
  // A constant apart from the session's (seed ^ 0x5eed) keeps the two streams unrelated.
  return mix64(mix64(static_cast<uint64_t>(seed) ^ 0xa5a5a5a5c3c3c3c3ULL) ^ static_cast<uint64_t>(global_step));
}

AugmentDraw draw_augment(int32_t pad, bool flip, Rng& rng) {
  AugmentDraw d;
  d.dy = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  d.dx = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  d.mirror = flip && rng.bernoulli(0.5);
  return d;
}

void augment_image(const float* src, float* dst, int64_t channels, int64_t height, int64_t width, int32_t pad,
                   bool flip, Rng& rng) {
  const AugmentDraw draw = draw_augment(pad, flip, rng);
  const int64_t dy = draw.dy, dx = draw.dx;
  const bool mirror = draw.mirror;
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const int64_t xo = mirror ? width - 1 - x : x;  // output column this source pixel lands in
      // Outside the image the nearest edge pixel is repeated: the data are already
      // normalised, so a constant fill would not be the raw background (black) but
      // the mean pixel, a grey frame that Fashion-MNIST never shows at test time.
      const int64_t sy = std::clamp<int64_t>(y + dy, 0, height - 1), sx = std::clamp<int64_t>(x + dx, 0, width - 1);
      float* out = dst + (y * width + xo) * channels;
      const float* in = src + (sy * width + sx) * channels;
      for (int64_t c = 0; c < channels; ++c) out[c] = in[c];
    }
}

}  // namespace layerprune
