#include "method/augment.h"

namespace layerprune {

void augment_image(const float* src, float* dst, int64_t channels, int64_t height, int64_t width, int32_t pad,
                   bool flip, Rng& rng) {
  const int64_t dy = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  const int64_t dx = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  const bool mirror = flip && rng.bernoulli(0.5);
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      const int64_t xo = mirror ? width - 1 - x : x;  // output column this source pixel lands in
      const int64_t sy = y + dy, sx = x + dx;
      float* out = dst + (y * width + xo) * channels;
      if (sy < 0 || sy >= height || sx < 0 || sx >= width) {
        for (int64_t c = 0; c < channels; ++c) out[c] = 0.f;
      } else {
        const float* in = src + (sy * width + sx) * channels;
        for (int64_t c = 0; c < channels; ++c) out[c] = in[c];
      }
    }
}

}  // namespace layerprune
