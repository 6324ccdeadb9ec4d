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

TEST(Augment, CropsShiftWithZeroFillAndSeedsRepeat) {
  const int64_t C = 1, H = 6, W = 6;
  const auto src = ramp(C, H, W);
  std::vector<float> a(src.size()), b(src.size());
  Rng r1(7), r2(7);
  bool saw_zero = false;
  for (int t = 0; t < 50; ++t) {
    augment_image(src.data(), a.data(), C, H, W, 2, false, r1);
    augment_image(src.data(), b.data(), C, H, W, 2, false, r2);
    ASSERT_EQ(a, b);  // same seed, same crops
    int64_t nonzero = 0;
    for (float v : a) {
      saw_zero |= v == 0.f;
      nonzero += v != 0.f;
      // every non-zero value is a source pixel
      ASSERT_TRUE(v == 0.f || (v >= 1.f && v <= float(H * W)));
    }
    EXPECT_GE(nonzero, (H - 2) * (W - 2));  // at most 2 rows and 2 columns fall off
  }
  EXPECT_TRUE(saw_zero);
}

}  // namespace
}  // namespace layerprune
