// Convolution, batch normalisation and pooling: the reference ops against finite
// differences in double precision, and the oneDNN/OpenMP ops against the reference
// with explicit tolerances (the checks of backend_op_checks.h, shared with the CUDA suite).
#include <gtest/gtest.h>

#include <functional>

#include "backend/backend.h"
#include "backend_op_checks.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

using test::expect_close;
using test::geometry;
using test::random_vector;

using test::numeric;
using test::random_doubles;

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

TEST(ReferenceConv, BackwardMatchesFiniteDifferences) {
  Rng rng(5);
  for (const ConvGeometry& g : {geometry(2, 3, 5, 5, 4, 3, 1, 1), geometry(1, 2, 6, 6, 3, 3, 2, 1), geometry(2, 3, 4, 4, 2, 1, 2, 0)}) {
    auto x = random_doubles(g.N * g.H * g.W * g.C, rng), w = random_doubles(g.K * g.C * g.R * g.S, rng);
    auto R = random_doubles(g.N * g.P() * g.Q() * g.K, rng);
    auto loss = [&]() {
      std::vector<double> y(R.size());
      reference::conv_forward(g, x.data(), w.data(), y.data());
      return dot(R, y);
    };
    std::vector<double> dx(x.size()), dw(w.size());
    reference::conv_backward_data(g, R.data(), w.data(), dx.data(), false);
    reference::conv_backward_weights(g, R.data(), x.data(), dw.data());
    for (size_t i = 0; i < x.size(); i += 3) EXPECT_NEAR(dx[i], numeric(loss, x[i]), 1e-6) << "dx " << i;
    for (size_t i = 0; i < w.size(); ++i) EXPECT_NEAR(dw[i], numeric(loss, w[i]), 1e-6) << "dw " << i;
  }
}

TEST(ReferenceBatchNorm, BackwardMatchesFiniteDifferences) {
  Rng rng(6);
  const int64_t rows = 10, C = 3;
  auto x = random_doubles(rows * C, rng), gamma = random_doubles(C, rng), beta = random_doubles(C, rng);
  auto R = random_doubles(rows * C, rng);
  std::vector<double> mean(C), var(C), y(rows * C);
  auto loss = [&]() {
    std::vector<double> m(C), v(C), out(rows * C);
    reference::batchnorm_forward(x.data(), out.data(), rows, C, gamma.data(), beta.data(), m.data(), v.data(),
                                 (double*)nullptr, (double*)nullptr, 0.1, true, 1e-5);
    return dot(R, out);
  };
  reference::batchnorm_forward(x.data(), y.data(), rows, C, gamma.data(), beta.data(), mean.data(), var.data(),
                               (double*)nullptr, (double*)nullptr, 0.1, true, 1e-5);
  std::vector<double> dx(rows * C), dgamma(C), dbeta(C);
  reference::batchnorm_backward(x.data(), R.data(), dx.data(), rows, C, gamma.data(), mean.data(), var.data(),
                                dgamma.data(), dbeta.data(), 1e-5);
  for (int64_t i = 0; i < rows * C; ++i) EXPECT_NEAR(dx[i], numeric(loss, x[i]), 1e-6) << "dx " << i;
  for (int64_t c = 0; c < C; ++c) {
    EXPECT_NEAR(dgamma[c], numeric(loss, gamma[c]), 1e-6);
    EXPECT_NEAR(dbeta[c], numeric(loss, beta[c]), 1e-6);
  }
}

TEST(ReferencePool, GlobalAverageBackwardMatchesFiniteDifferences) {
  Rng rng(7);
  const int64_t N = 2, S = 5, C = 3;
  auto x = random_doubles(N * S * C, rng), R = random_doubles(N * C, rng);
  auto loss = [&]() {
    std::vector<double> y(N * C);
    reference::global_avgpool_forward(x.data(), y.data(), N, S, C);
    return dot(R, y);
  };
  std::vector<double> dx(x.size());
  reference::global_avgpool_backward(R.data(), dx.data(), N, S, C);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(dx[i], numeric(loss, x[i]), 1e-7);
}

TEST(ReferencePool, MaxPoolBackwardMatchesFiniteDifferences) {
  Rng rng(8);
  const int64_t N = 2, H = 5, W = 3, C = 2;  // odd sizes: ceil mode
  auto x = random_doubles(N * H * W * C, rng), R = random_doubles(N * 3 * 2 * C, rng);
  std::vector<int32_t> argmax(R.size());
  auto loss = [&]() {
    std::vector<double> y(R.size());
    reference::maxpool_forward(x.data(), y.data(), argmax.data(), N, H, W, C);
    return dot(R, y);
  };
  loss();
  std::vector<double> dx(x.size());
  reference::maxpool_backward(R.data(), argmax.data(), dx.data(), N, H, W, C);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(dx[i], numeric(loss, x[i]), 1e-6) << i;
}

class CpuConvTest : public test::BackendOpTest<ConvGeometry> {
 protected:
  CpuConvTest() : BackendOpTest(11) {}
};

TEST_P(CpuConvTest, MatchesReference) { check_conv(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Geometries, CpuConvTest, ::testing::ValuesIn(test::conv_geometries()));

class CpuNormPoolTest : public test::BackendOpTest<test::NormPoolShape> {
 protected:
  CpuNormPoolTest() : BackendOpTest(13) {}
};

TEST_P(CpuNormPoolTest, MatchesReference) {
  const auto [N, H, W, C] = GetParam();
  check_norm_pool(N, H, W, C);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuNormPoolTest, ::testing::ValuesIn(test::norm_pool_shapes()));

// Out of place (the shared checks run ReLU in place).
TEST_F(CpuConvTest, ReluOutOfPlaceMatchesReference) {
  auto x = random_vector(2 * 7 * 7 * 24, rng);
  std::vector<float> relu_ref(x.size());
  reference::relu_forward(x.data(), relu_ref.data(), int64_t(x.size()));
  float* y = up(std::vector<float>(x.size(), 9.f));
  be->relu_forward(up(x), y, int64_t(x.size()));
  expect_close(down(y, x.size()), relu_ref, 0, 0, "relu");
}

}  // namespace
}  // namespace layerprune
