// Every oneDNN/OpenMP op of the CPU backend against the reference ops, with explicit
// tolerances (float32; GEMM sums of K products, so tolerances scale with sqrt(K)).
#include <gtest/gtest.h>

#include <vector>

#include "backend/backend.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

using test::expect_close;
using test::random_vector;

class CpuBackendTest : public test::BackendFixture<std::tuple<int64_t, int64_t, int64_t>> {
 protected:
  CpuBackendTest() : BackendFixture(42) {}
};

constexpr double kAtol = 1e-4, kRtol = 1e-4;

TEST_P(CpuBackendTest, LinearForwardMatchesReference) {
  auto [M, N, K] = GetParam();
  auto X = random_vector(M * K, rng), W = random_vector(N * K, rng), b = random_vector(N, rng);
  for (bool relu : {false, true})
    for (bool bias : {false, true}) {
      std::vector<float> expected(M * N);
      reference::linear_forward(X.data(), W.data(), bias ? b.data() : nullptr, expected.data(), M, N, K, relu);
      float* Y = up(std::vector<float>(M * N, 7.f));
      be->linear_forward(up(X), up(W), bias ? up(b) : nullptr, Y, M, N, K, relu);
      expect_close(down(Y, M * N), expected, kAtol * std::sqrt(double(K)), kRtol, "linear_forward");
    }
}

TEST_P(CpuBackendTest, LinearBackwardMatchesReference) {
  auto [M, N, K] = GetParam();
  auto dY = random_vector(M * N, rng), W = random_vector(N * K, rng), X = random_vector(M * K, rng);
  auto start = random_vector(M * K, rng);
  for (bool accumulate : {false, true}) {
    std::vector<float> expected = start;
    reference::linear_backward_data(dY.data(), W.data(), expected.data(), M, N, K, accumulate);
    float* dX = up(start);
    be->linear_backward_data(up(dY), up(W), dX, M, N, K, accumulate);
    expect_close(down(dX, M * K), expected, kAtol * std::sqrt(double(N)), kRtol, "linear_backward_data");
  }
  std::vector<float> dW_ref(N * K), db_ref(N);
  reference::linear_backward_weights(dY.data(), X.data(), dW_ref.data(), db_ref.data(), M, N, K);
  float* dW = up(std::vector<float>(N * K));
  float* db = up(std::vector<float>(N));
  be->linear_backward_weights(up(dY), up(X), dW, db, M, N, K);
  expect_close(down(dW, N * K), dW_ref, kAtol * std::sqrt(double(M)), kRtol, "dW");
  expect_close(down(db, N), db_ref, kAtol * std::sqrt(double(M)), kRtol, "db");
}

TEST_P(CpuBackendTest, ElementwiseAndReductionsMatchReference) {
  auto [M, N, K] = GetParam();
  (void)K;
  const int64_t n = M * N;
  auto x = random_vector(n, rng), z = random_vector(n, rng), y = random_vector(n, rng);
  // relu_backward
  std::vector<float> ref = z;
  reference::relu_backward(x.data(), ref.data(), n);
  float* dz = up(z);
  be->relu_backward(up(x), dz, n);
  expect_close(down(dz, n), ref, 0, 0, "relu_backward");
  // add_scaled and axpy
  reference::add_scaled(x.data(), 0.7f, z.data(), ref.data(), n);
  float* out = up(std::vector<float>(n));
  be->add_scaled(up(x), 0.7f, up(z), out, n);
  expect_close(down(out, n), ref, 1e-6, 1e-6, "add_scaled");
  reference::add_scaled(y.data(), -1.3f, x.data(), ref.data(), n);
  float* acc = up(y);
  be->axpy(-1.3f, up(x), acc, n);
  expect_close(down(acc, n), ref, 1e-6, 1e-6, "axpy");
  // reductions
  EXPECT_NEAR(be->sum_squares(up(x), n), reference::sum_squares(x.data(), n), 1e-6 * n);
  EXPECT_NEAR(be->dot(up(x), up(z), n), reference::dot(x.data(), z.data(), n), 1e-6 * n);
  // softmax cross-entropy with gradient
  const int64_t C = N;
  std::vector<int32_t> labels(M);
  for (auto& l : labels) l = static_cast<int32_t>(rng.below(C));
  std::vector<float> grad_ref(M * C);
  int64_t correct_ref = 0, correct = 0;
  const double loss_ref = reference::softmax_cross_entropy(x.data(), labels.data(), M, C, grad_ref.data(), &correct_ref);
  auto* dev_labels = static_cast<int32_t*>(be->allocate(sizeof(int32_t) * M));
  be->to_device(dev_labels, labels.data(), sizeof(int32_t) * M);
  float* grad = up(std::vector<float>(M * C));
  const double loss = be->softmax_cross_entropy(up(x), dev_labels, M, C, grad, &correct);
  be->release(dev_labels);
  EXPECT_NEAR(loss, loss_ref, 1e-9);
  EXPECT_EQ(correct, correct_ref);
  expect_close(down(grad, M * C), grad_ref, 1e-7, 1e-5, "softmax gradient");
  // momentum SGD
  std::vector<float> w_ref = x, v_ref = y;
  reference::sgd_momentum(w_ref.data(), v_ref.data(), z.data(), n, 0.05f, 0.9f, 0.5f);
  float* w = up(x);
  float* v = up(y);
  be->sgd_momentum(w, v, up(z), n, 0.05f, 0.9f, 0.5f);
  expect_close(down(w, n), w_ref, 1e-6, 1e-6, "sgd w");
  expect_close(down(v, n), v_ref, 1e-6, 1e-6, "sgd v");
}

// Shapes: tiny, odd (no vector-width multiples), the main job's, and large enough
// for the parallel paths.
INSTANTIATE_TEST_SUITE_P(Shapes, CpuBackendTest,
                         ::testing::Values(std::make_tuple(1, 2, 1), std::make_tuple(7, 13, 5),
                                           std::make_tuple(128, 256, 784), std::make_tuple(128, 256, 256),
                                           std::make_tuple(300, 260, 33)));

}  // namespace
}  // namespace layerprune
