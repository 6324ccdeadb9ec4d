// Every op of the CUDA backend against the reference ops with explicit tolerances, on
// shapes that are not multiples of the 64x64x16 GEMM tile, N = 1 batches, shapes that
// take the split-K path, and odd pooling sizes (the checks and shape tables of
// backend_op_checks.h, shared with the oneDNN suite); plus bitwise reproducibility of
// the reductions.
// Without a CUDA device every test is skipped (GTEST_SKIP); any other CUDA error fails it, and
// LAYERPRUNE_REQUIRE_GPU=1 fails the skips too (cuda_support.h).
#include <gtest/gtest.h>

#include <vector>

#include "backend/backend.h"
#include "backend_op_checks.h"
#include "cuda_support.h"
#include "test_util.h"

namespace layerprune {
namespace {

using test::geometry;
using test::random_vector;

class CudaDenseTest : public test::BackendOpTest<test::DenseShape> {
 protected:
  CudaDenseTest() : BackendOpTest(42, test::cuda_or_null) {}
  void SetUp() override { LAYERPRUNE_SKIP_WITHOUT_GPU(be); }
};

TEST_P(CudaDenseTest, LinearForwardMatchesReference) {
  auto [M, N, K] = GetParam();
  check_linear_forward(M, N, K);
}

TEST_P(CudaDenseTest, LinearBackwardMatchesReference) {
  auto [M, N, K] = GetParam();
  check_linear_backward(M, N, K);
}

TEST_P(CudaDenseTest, ElementwiseAndReductionsMatchReference) {
  auto [M, N, K] = GetParam();
  (void)K;
  // Reductions in double: only the summation order differs from the reference.
  check_elementwise_and_reductions(M, N, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaDenseTest, ::testing::ValuesIn(test::dense_shapes()));

class CudaConvTest : public test::BackendOpTest<ConvGeometry> {
 protected:
  CudaConvTest() : BackendOpTest(11, test::cuda_or_null) {}
  void SetUp() override { LAYERPRUNE_SKIP_WITHOUT_GPU(be); }
};

TEST_P(CudaConvTest, MatchesReference) { check_conv(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Geometries, CudaConvTest, ::testing::ValuesIn(test::conv_geometries()));

class CudaNormPoolTest : public test::BackendOpTest<test::NormPoolShape> {
 protected:
  CudaNormPoolTest() : BackendOpTest(13, test::cuda_or_null) {}
  void SetUp() override { LAYERPRUNE_SKIP_WITHOUT_GPU(be); }
};

TEST_P(CudaNormPoolTest, MatchesReference) {
  const auto [N, H, W, C] = GetParam();
  check_norm_pool(N, H, W, C);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CudaNormPoolTest, ::testing::ValuesIn(test::norm_pool_shapes()));

// The same inputs give the same bits: split-K GEMMs, BN statistics and reductions use
// fixed partitions and fixed summation orders, never float atomics.
TEST_F(CudaConvTest, ResultsAreBitwiseReproducible) {
  const ConvGeometry g = geometry(8, 16, 16, 16, 16, 3, 1, 1);
  const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.P() * g.Q() * g.K, nw = g.K * g.C * g.R * g.S;
  float *x = up(random_vector(nx, rng)), *dy = up(random_vector(ny, rng));
  float *dw1 = up(std::vector<float>(nw)), *dw2 = up(std::vector<float>(nw));
  be->conv_backward_weights(g, dy, x, dw1);
  be->conv_backward_weights(g, dy, x, dw2);
  EXPECT_EQ(down(dw1, nw), down(dw2, nw));
  const int64_t rows = nx / g.C;
  float *ones = up(std::vector<float>(g.C, 1.f)), *zeros = up(std::vector<float>(g.C, 0.f));
  float *m1 = up(std::vector<float>(g.C)), *v1 = up(std::vector<float>(g.C));
  float *m2 = up(std::vector<float>(g.C)), *v2 = up(std::vector<float>(g.C)), *out = up(std::vector<float>(nx));
  be->batchnorm_forward(x, out, rows, g.C, ones, zeros, m1, v1, nullptr, nullptr, 0.1f, true, 1e-5f, false);
  be->batchnorm_forward(x, out, rows, g.C, ones, zeros, m2, v2, nullptr, nullptr, 0.1f, true, 1e-5f, false);
  EXPECT_EQ(down(m1, g.C), down(m2, g.C));
  EXPECT_EQ(down(v1, g.C), down(v2, g.C));
  EXPECT_EQ(be->dot(x, x, nx), be->sum_squares(x, nx));
}

}  // namespace
}  // namespace layerprune
