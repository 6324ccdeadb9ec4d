// Image augmentation: crops move pixels without changing them, flips mirror rows,
// padding brings in zeros, and the same seed gives the same batch.
#include <gtest/gtest.h>

#include <vector>

#include "method/augment.h"

namespace layerprune {
namespace {

std::vector<float> ramp(int64_t c, int64_t h, int64_t w) {
  std::vector<float> v(c * h * w);
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i + 1);
  return v;
}

TEST(Augment, NothingAskedIsTheIdentity) {
  Rng rng(1);
  const auto src = ramp(3, 4, 5);
  std::vector<float> dst(src.size());
  augment_image(src.data(), dst.data(), 3, 4, 5, 0, false, rng);
  EXPECT_EQ(dst, src);
}

TEST(Augment, FlipMirrorsEachRowAndHappensAboutHalfTheTime) {
  Rng rng(2);
  const int64_t C = 2, H = 3, W = 4;
  const auto src = ramp(C, H, W);
  std::vector<float> dst(src.size());
  int flipped = 0;
  for (int t = 0; t < 400; ++t) {
    augment_image(src.data(), dst.data(), C, H, W, 0, true, rng);
    if (dst == src) continue;
    ++flipped;
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x)
        for (int64_t c = 0; c < C; ++c)
          ASSERT_EQ(dst[(y * W + x) * C + c], src[(y * W + (W - 1 - x)) * C + c]);
  }
  EXPECT_GT(flipped, 150);
  EXPECT_LT(flipped, 250);
}

TEST(Augment, CropsShiftWithEdgeFillAndSeedsRepeat) {
  const int64_t C = 1, H = 6, W = 6;
  const auto src = ramp(C, H, W);
  std::vector<float> a(src.size()), b(src.size());
  Rng r1(7), r2(7);
  bool saw_shift = false;
  for (int t = 0; t < 50; ++t) {
    augment_image(src.data(), a.data(), C, H, W, 2, false, r1);
    augment_image(src.data(), b.data(), C, H, W, 2, false, r2);
    ASSERT_EQ(a, b);  // same seed, same crops
    saw_shift |= a != src;
    // Rows stay rows: along a row, values step by 1 (inside) or repeat (edge fill).
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 1; x < W; ++x) {
        const float step = a[y * W + x] - a[y * W + x - 1];
        ASSERT_TRUE(step == 0.f || step == 1.f) << "row " << y << " col " << x;
      }
    for (float v : a) ASSERT_TRUE(v >= 1.f && v <= float(H * W));  // only source pixels
  }
  EXPECT_TRUE(saw_shift);
}

}  // namespace
}  // namespace layerprune
