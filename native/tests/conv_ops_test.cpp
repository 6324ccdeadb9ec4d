// Convolution, batch normalisation and pooling: the reference ops against finite
// differences in double precision, and the oneDNN/OpenMP ops against the reference
// with explicit tolerances.
#include <gtest/gtest.h>

#include <functional>

#include "backend/backend.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

using test::expect_close;
using test::random_vector;

std::vector<double> random_doubles(size_t n, Rng& rng) {
  std::vector<double> v(n);
  for (double& x : v) x = rng.normal();
  return v;
}

double numeric(const std::function<double()>& f, double& x, double h = 1e-6) {
  const double saved = x;
  x = saved + h;
  const double up = f();
  x = saved - h;
  const double down = f();
  x = saved;
  return (up - down) / (2 * h);
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

ConvGeometry geometry(int64_t N, int64_t C, int64_t H, int64_t K, int64_t R, int64_t stride, int64_t pad) {
  ConvGeometry g;
  g.N = N, g.C = C, g.H = H, g.W = H, g.K = K, g.R = R, g.S = R, g.stride = stride, g.pad = pad;
  return g;
}

TEST(ReferenceConv, BackwardMatchesFiniteDifferences) {
  Rng rng(5);
  for (const ConvGeometry& g : {geometry(2, 3, 5, 4, 3, 1, 1), geometry(1, 2, 6, 3, 3, 2, 1), geometry(2, 3, 4, 2, 1, 2, 0)}) {
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

class CpuConvTest : public test::BackendFixture<ConvGeometry> {
 protected:
  CpuConvTest() : BackendFixture(11) {}
};

TEST_P(CpuConvTest, MatchesReference) {
  const ConvGeometry g = GetParam();
  const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.P() * g.Q() * g.K, nw = g.K * g.C * g.R * g.S;
  auto x = random_vector(nx, rng), w = random_vector(nw, rng), dy = random_vector(ny, rng), start = random_vector(nx, rng);
  const double tol = 2e-4 * std::sqrt(double(g.C * g.R * g.S));
  std::vector<float> y_ref(ny), dx_ref = start, dw_ref(nw);
  reference::conv_forward(g, x.data(), w.data(), y_ref.data());
  float* y = up(std::vector<float>(ny));
  be->conv_forward(g, up(x), up(w), y);
  expect_close(down(y, ny), y_ref, tol, 1e-4, "conv forward");
  for (bool accumulate : {false, true}) {
    std::vector<float> expected = start;
    reference::conv_backward_data(g, dy.data(), w.data(), expected.data(), accumulate);
    float* dx = up(start);
    be->conv_backward_data(g, up(dy), up(w), dx, accumulate);
    expect_close(down(dx, nx), expected, 2e-4 * std::sqrt(double(g.K * g.R * g.S)), 1e-4, "conv backward data");
  }
  reference::conv_backward_weights(g, dy.data(), x.data(), dw_ref.data());
  float* dw = up(std::vector<float>(nw));
  be->conv_backward_weights(g, up(dy), up(x), dw);
  expect_close(down(dw, nw), dw_ref, 2e-4 * std::sqrt(double(g.N * g.P() * g.Q())), 1e-4, "conv backward weights");
}

// 3x3 same-size, 3x3 stride 2 (first block of a stage), 1x1 stride-2 projection,
// the stem on one input channel, and odd sizes.
INSTANTIATE_TEST_SUITE_P(Geometries, CpuConvTest,
                         ::testing::Values(geometry(4, 16, 8, 16, 3, 1, 1), geometry(4, 16, 8, 32, 3, 2, 1),
                                           geometry(4, 16, 8, 32, 1, 2, 0), geometry(3, 1, 28, 16, 3, 1, 1),
                                           geometry(2, 5, 7, 3, 3, 2, 1)));

TEST_F(CpuConvTest, BatchNormAndPoolingMatchReference) {
  const int64_t rows = 2 * 7 * 7, C = 24;
  auto x = random_vector(rows * C, rng, 3.0), dy = random_vector(rows * C, rng);
  auto gamma = random_vector(C, rng), beta = random_vector(C, rng);
  for (float& v : x) v += 2.f;  // a non-zero mean
  std::vector<float> y_ref(rows * C), mean_ref(C), var_ref(C), run_m_ref(C, 0.5f), run_v_ref(C, 2.f);
  reference::batchnorm_forward(x.data(), y_ref.data(), rows, C, gamma.data(), beta.data(), mean_ref.data(),
                               var_ref.data(), run_m_ref.data(), run_v_ref.data(), 0.1f, true, 1e-5f);
  float *y = up(std::vector<float>(rows * C)), *mean = up(std::vector<float>(C)), *var = up(std::vector<float>(C));
  float *run_m = up(std::vector<float>(C, 0.5f)), *run_v = up(std::vector<float>(C, 2.f));
  float *dgamma = up(gamma), *dbeta = up(gamma);
  float* dx = up(std::vector<float>(rows * C));
  float *xd = up(x), *gd = up(gamma), *bd = up(beta), *dyd = up(dy);
  be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, run_m, run_v, 0.1f, true, 1e-5f);
  expect_close(down(y, rows * C), y_ref, 1e-5, 1e-4, "bn forward (training)");
  expect_close(down(mean, C), mean_ref, 1e-5, 1e-5, "batch mean");
  expect_close(down(var, C), var_ref, 1e-4, 1e-4, "batch var");
  expect_close(down(run_m, C), run_m_ref, 1e-5, 1e-5, "running mean");
  expect_close(down(run_v, C), run_v_ref, 1e-4, 1e-4, "running var");
  // inference with the running statistics
  reference::batchnorm_forward(x.data(), y_ref.data(), rows, C, gamma.data(), beta.data(), mean_ref.data(),
                               var_ref.data(), run_m_ref.data(), run_v_ref.data(), 0.1f, false, 1e-5f);
  be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, run_m, run_v, 0.1f, false, 1e-5f);
  expect_close(down(y, rows * C), y_ref, 1e-5, 1e-4, "bn forward (inference)");
  // backward
  std::vector<float> dx_ref(rows * C), dgamma_ref(C), dbeta_ref(C);
  reference::batchnorm_backward(x.data(), dy.data(), dx_ref.data(), rows, C, gamma.data(), mean_ref.data(),
                                var_ref.data(), dgamma_ref.data(), dbeta_ref.data(), 1e-5f);
  be->batchnorm_backward(xd, dyd, dx, rows, C, gd, mean, var, dgamma, dbeta, 1e-5f);
  expect_close(down(dx, rows * C), dx_ref, 1e-5, 1e-3, "bn dx");
  expect_close(down(dgamma, C), dgamma_ref, 1e-4, 1e-4, "bn dgamma");
  expect_close(down(dbeta, C), dbeta_ref, 1e-4, 1e-4, "bn dbeta");
  // global average pooling and ReLU
  std::vector<float> pooled_ref(2 * C), back_ref(rows * C);
  reference::global_avgpool_forward(x.data(), pooled_ref.data(), 2, 49, C);
  float* pooled = up(std::vector<float>(2 * C));
  be->global_avgpool_forward(xd, pooled, 2, 49, C);
  expect_close(down(pooled, 2 * C), pooled_ref, 1e-5, 1e-5, "avgpool");
  reference::global_avgpool_backward(dy.data(), back_ref.data(), 2, 49, C);
  be->global_avgpool_backward(dyd, dx, 2, 49, C);
  expect_close(down(dx, rows * C), back_ref, 1e-6, 1e-6, "avgpool backward");
  // max pooling 2x2 on (2, 7, 7, C): ceil mode gives 4x4
  std::vector<float> mp_ref(2 * 16 * C), mpdx_ref(rows * C);
  std::vector<int32_t> am_ref(2 * 16 * C);
  reference::maxpool_forward(x.data(), mp_ref.data(), am_ref.data(), 2, 7, 7, C);
  auto* am = static_cast<int32_t*>(be->allocate(sizeof(int32_t) * am_ref.size()));
  float* mp = up(std::vector<float>(mp_ref.size()));
  be->maxpool_forward(xd, mp, am, 2, 7, 7, C);
  expect_close(down(mp, mp_ref.size()), mp_ref, 0, 0, "maxpool");
  auto dmp = random_vector(mp_ref.size(), rng);
  reference::maxpool_backward(dmp.data(), am_ref.data(), mpdx_ref.data(), 2, 7, 7, C);
  be->maxpool_backward(up(dmp), am, dx, 2, 7, 7, C);
  be->release(am);
  expect_close(down(dx, rows * C), mpdx_ref, 0, 0, "maxpool backward");
  std::vector<float> relu_ref(rows * C);
  reference::relu_forward(x.data(), relu_ref.data(), rows * C);
  be->relu_forward(xd, y, rows * C);
  expect_close(down(y, rows * C), relu_ref, 0, 0, "relu");
}

}  // namespace
}  // namespace layerprune
