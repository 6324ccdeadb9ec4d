// The reference ops in double precision against central finite differences: the
// oracle is itself checked before it judges the fast path.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <vector>

#include "core/rng.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

using Vec = std::vector<double>;

using test::numeric;
using test::random_doubles;

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

constexpr int64_t M = 3, N = 4, K = 5;

TEST(ReferenceOps, LinearBackwardMatchesFiniteDifferences) {
  Rng rng(7);
  Vec X = random_doubles(M * K, rng), W = random_doubles(N * K, rng), b = random_doubles(N, rng);
  Vec R = random_doubles(M * N, rng);  // loss = <R, Y>, so dL/dY = R
  for (bool relu : {false, true}) {
    auto loss = [&]() {
      Vec Y(M * N);
      reference::linear_forward(X.data(), W.data(), b.data(), Y.data(), M, N, K, relu);
      return dot(R, Y);
    };
    Vec Y(M * N), dY = R;
    reference::linear_forward(X.data(), W.data(), b.data(), Y.data(), M, N, K, relu);
    if (relu) reference::relu_backward(Y.data(), dY.data(), M * N);
    Vec dX(M * K), dW(N * K), db(N);
    reference::linear_backward_data(dY.data(), W.data(), dX.data(), M, N, K, false);
    reference::linear_backward_weights(dY.data(), X.data(), dW.data(), db.data(), M, N, K);
    for (int64_t i = 0; i < M * K; ++i) EXPECT_NEAR(dX[i], numeric(loss, X[i]), 1e-6) << "dX " << i;
    for (int64_t i = 0; i < N * K; ++i) EXPECT_NEAR(dW[i], numeric(loss, W[i]), 1e-6) << "dW " << i;
    for (int64_t i = 0; i < N; ++i) EXPECT_NEAR(db[i], numeric(loss, b[i]), 1e-6) << "db " << i;
  }
}

TEST(ReferenceOps, BackwardDataAccumulates) {
  Rng rng(3);
  Vec dY = random_doubles(M * N, rng), W = random_doubles(N * K, rng);
  Vec fresh(M * K), acc(M * K, 1.5);
  reference::linear_backward_data(dY.data(), W.data(), fresh.data(), M, N, K, false);
  reference::linear_backward_data(dY.data(), W.data(), acc.data(), M, N, K, true);
  for (int64_t i = 0; i < M * K; ++i) EXPECT_NEAR(acc[i], fresh[i] + 1.5, 1e-12);
}

TEST(ReferenceOps, SoftmaxCrossEntropyGradientMatchesFiniteDifferences) {
  Rng rng(11);
  const int64_t C = 6;
  Vec logits = random_doubles(M * C, rng);
  std::vector<int32_t> labels = {0, 5, 2};
  auto loss = [&]() {
    return reference::softmax_cross_entropy(logits.data(), labels.data(), M, C, (double*)nullptr, nullptr);
  };
  Vec grad(M * C);
  int64_t correct = -1;
  reference::softmax_cross_entropy(logits.data(), labels.data(), M, C, grad.data(), &correct);
  for (int64_t i = 0; i < M * C; ++i) EXPECT_NEAR(grad[i], numeric(loss, logits[i]), 1e-7) << i;
  EXPECT_GE(correct, 0);
  EXPECT_LE(correct, M);
}

TEST(ReferenceOps, SoftmaxCrossEntropyKnownValue) {
  // Uniform logits over C classes: loss = log C, nothing is correct unless label 0
  // (the arg-max of ties is the first index).
  const double logits[4] = {0, 0, 0, 0};
  const int32_t labels[1] = {2};
  int64_t correct = -1;
  EXPECT_NEAR(reference::softmax_cross_entropy(logits, labels, 1, 4, (double*)nullptr, &correct), std::log(4.0), 1e-12);
  EXPECT_EQ(correct, 0);
}

TEST(ReferenceOps, SgdMomentumFollowsTheFormula) {
  double w[2] = {1.0, -2.0}, v[2] = {0.5, 0.0};
  const double g[2] = {0.2, 4.0};
  reference::sgd_momentum(w, v, g, 2, 0.1, 0.9, 0.5, 0.0);
  EXPECT_NEAR(v[0], 0.9 * 0.5 + 0.5 * 0.2, 1e-12);
  EXPECT_NEAR(w[0], 1.0 - 0.1 * v[0], 1e-12);
  EXPECT_NEAR(v[1], 2.0, 1e-12);
  EXPECT_NEAR(w[1], -2.2, 1e-12);
  // With decay: the gradient is g + decay * w (w before the step).
  double w2[1] = {2.0}, v2[1] = {0.0};
  const double g2[1] = {1.0};
  reference::sgd_momentum(w2, v2, g2, 1, 0.1, 0.9, 0.5, 0.25);
  EXPECT_NEAR(v2[0], 0.5 * (1.0 + 0.25 * 2.0), 1e-12);
  EXPECT_NEAR(w2[0], 2.0 - 0.1 * v2[0], 1e-12);
  EXPECT_NEAR(reference::decayed_sum_squares(g, w, 0.5, 2), std::pow(0.2 + 0.5 * w[0], 2) + std::pow(4.0 + 0.5 * w[1], 2),
              1e-12);
}

}  // namespace
}  // namespace layerprune
