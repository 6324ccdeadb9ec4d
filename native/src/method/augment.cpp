#include "method/augment.h"

#include <algorithm>

namespace layerprune {

void augment_image(const float* src, float* dst, int64_t channels, int64_t height, int64_t width, int32_t pad,
                   bool flip, Rng& rng) {
  const int64_t dy = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  const int64_t dx = pad > 0 ? int64_t(rng.below(uint64_t(2 * pad + 1))) - pad : 0;
  const bool mirror = flip && rng.bernoulli(0.5);
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
