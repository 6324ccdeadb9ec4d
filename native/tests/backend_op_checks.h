// The op-by-op checks of a backend against the reference ops, written once and run by
// both backends' suites: the oneDNN/OpenMP ops (cpu_backend_test.cpp, conv_ops_test.cpp)
// and the CUDA ops (cuda_ops_test.cpp). A suite derives its fixture from BackendOpTest,
// picks the backend in the constructor, and calls the check_* functions from its tests,
// over the shape tables below. FP32 throughout: GEMM-like sums of K products get
// tolerances that scale with sqrt(K).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <tuple>
#include <vector>

#include "backend/backend.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {

// Readable test names for the geometry parameters (found by argument-dependent lookup).
inline void PrintTo(const ConvGeometry& g, std::ostream* os) {
  *os << "N" << g.N << "_C" << g.C << "_" << g.H << "x" << g.W << "_K" << g.K << "_" << g.R << "x" << g.S << "_s"
      << g.stride << "_p" << g.pad;
}

namespace test {

using DenseShape = std::tuple<int64_t, int64_t, int64_t>;              // M rows, N outputs, K inputs
using NormPoolShape = std::tuple<int64_t, int64_t, int64_t, int64_t>;  // N, H, W, C (NHWC)

inline ConvGeometry geometry(int64_t N, int64_t C, int64_t H, int64_t W, int64_t K, int64_t R, int64_t stride,
                             int64_t pad) {
  ConvGeometry g;
  g.N = N, g.C = C, g.H = H, g.W = W, g.K = K, g.R = R, g.S = R, g.stride = stride, g.pad = pad;
  return g;
}

// Tiny; odd (no vector-width multiples); one row; not multiples of the CUDA GEMM tiles
// (64x64x16); the MLP's own shapes, large enough for the CPU's parallel paths; a 30-wide
// output (CUDA's 128x32 tiles); and a tall-thin batch (M = 4096, 256x16 tiles) whose
// weight gradient takes CUDA's split-K path.
inline std::vector<DenseShape> dense_shapes() {
  return {{1, 2, 1},         {7, 13, 5},      {1, 10, 256},   {65, 67, 129},
          {128, 256, 784},   {300, 260, 33},  {300, 30, 33},  {4096, 16, 24}};
}

// 3x3 pad 1; 3x3 stride 2 (a stage's first block); 1x1 stride-2 projection; the stem on
// one channel; odd and non-square sizes; N = 1; 5x5 valid (LeNet); and a batch whose
// weight gradient (2048 positions) CUDA splits over K.
inline std::vector<ConvGeometry> conv_geometries() {
  return {geometry(4, 16, 8, 8, 16, 3, 1, 1), geometry(4, 16, 8, 8, 32, 3, 2, 1), geometry(4, 16, 8, 8, 32, 1, 2, 0),
          geometry(3, 1, 28, 28, 16, 3, 1, 1), geometry(2, 5, 7, 7, 3, 3, 2, 1),  geometry(1, 3, 9, 6, 5, 3, 2, 1),
          geometry(2, 3, 7, 5, 6, 1, 2, 0),    geometry(2, 6, 14, 14, 16, 5, 1, 0), geometry(8, 16, 16, 16, 16, 3, 1, 1)};
}

// BN and pooling: one 7x7 stage; a single position; odd sizes with rows that fill several
// of CUDA's 512-row chunks and C over one 32-channel group; a CIFAR stage.
inline std::vector<NormPoolShape> norm_pool_shapes() { return {{2, 7, 7, 24}, {1, 1, 1, 3}, {3, 15, 13, 40}, {8, 16, 16, 16}}; }

template <typename Param>
class BackendOpTest : public BackendFixture<Param> {
  using Base = BackendFixture<Param>;

 protected:
  using Base::Base;
  using Base::be;
  using Base::down;
  using Base::rng;
  using Base::up;

  static constexpr double kAtol = 1e-4, kRtol = 1e-4;

  void check_linear_forward(int64_t M, int64_t N, int64_t K) {
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

  void check_linear_backward(int64_t M, int64_t N, int64_t K) {
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
    float* dW = up(std::vector<float>(N * K, 3.f));
    float* db = up(std::vector<float>(N, 3.f));
    be->linear_backward_weights(up(dY), up(X), dW, db, M, N, K);
    expect_close(down(dW, N * K), dW_ref, kAtol * std::sqrt(double(M)), kRtol, "dW");
    expect_close(down(db, N), db_ref, kAtol * std::sqrt(double(M)), kRtol, "db");
    // Without a bias gradient the weights are still written.
    float* dW2 = up(std::vector<float>(N * K, 3.f));
    be->linear_backward_weights(up(dY), up(X), dW2, nullptr, M, N, K);
    expect_close(down(dW2, N * K), dW_ref, kAtol * std::sqrt(double(M)), kRtol, "dW without db");
    this->check_combined_linear_backward(M, N, K);
  }

  // Element-wise ops on M x N, softmax cross-entropy over N classes, momentum SGD, and the
  // double-precision reductions, whose results may differ from the reference by at most
  // `reduction_tol` per element (only the summation order differs).
  void check_elementwise_and_reductions(int64_t M, int64_t N, double reduction_tol) {
    const int64_t n = M * N;
    auto x = random_vector(n, rng), z = random_vector(n, rng), y = random_vector(n, rng);
    std::vector<float> ref = z;
    reference::relu_backward(x.data(), ref.data(), n);
    float* dz = up(z);
    be->relu_backward(up(x), dz, n);
    expect_close(down(dz, n), ref, 0, 0, "relu_backward");
    reference::relu_forward(x.data(), ref.data(), n);
    float* r = up(x);
    be->relu_forward(r, r, n);  // in place, as the interface allows
    expect_close(down(r, n), ref, 0, 0, "relu_forward in place");
    reference::add_scaled(x.data(), 0.7f, z.data(), ref.data(), n);
    float* out = up(std::vector<float>(n));
    be->add_scaled(up(x), 0.7f, up(z), out, n, false);
    expect_close(down(out, n), ref, 1e-6, 1e-6, "add_scaled");
    std::vector<float> unfused = down(out, n);  // with the ReLU fused: exactly ReLU of the unfused sum
    reference::relu_forward(unfused.data(), unfused.data(), n);
    be->add_scaled(up(x), 0.7f, up(z), out, n, true);
    expect_close(down(out, n), unfused, 0, 0, "add_scaled + relu");
    reference::add_scaled(y.data(), -1.3f, x.data(), ref.data(), n);
    float* acc = up(y);
    be->axpy(-1.3f, up(x), acc, n);
    expect_close(down(acc, n), ref, 1e-6, 1e-6, "axpy");
    float* filled = up(y);
    be->fill(filled, 2.5f, n);
    expect_close(down(filled, n), std::vector<float>(n, 2.5f), 0, 0, "fill");
    float* copied = up(std::vector<float>(n));
    be->copy(copied, up(z), n);
    expect_close(down(copied, n), z, 0, 0, "copy");
    for (bool relu : {false, true}) {  // export's folded batch-norm bias: rows M, channels N
      const std::vector<float> bias = random_vector(N, rng);
      ref = x;
      reference::add_channel_bias(ref.data(), bias.data(), M, N, relu);
      float* biased = up(x);
      be->add_channel_bias(biased, up(bias), M, N, relu);
      expect_close(down(biased, n), ref, 0, 0, relu ? "add_channel_bias relu" : "add_channel_bias");
    }
    EXPECT_NEAR(be->sum_squares(up(x), n), reference::sum_squares(x.data(), n), reduction_tol * n);
    EXPECT_NEAR(be->dot(up(x), up(z), n), reference::dot(x.data(), z.data(), n), reduction_tol * n);
    // Softmax cross-entropy: loss, gradient and the correct count.
    const int64_t C = N;
    std::vector<int32_t> labels(M);
    for (auto& l : labels) l = static_cast<int32_t>(rng.below(C));
    std::vector<float> grad_ref(M * C);
    int64_t correct_ref = 0, correct = -1;
    const double loss_ref =
        reference::softmax_cross_entropy(x.data(), labels.data(), M, C, grad_ref.data(), &correct_ref);
    int32_t* dev_labels = up(labels);
    float* grad = up(std::vector<float>(M * C));
    const double loss = be->softmax_cross_entropy(up(x), dev_labels, M, C, grad, &correct);
    EXPECT_NEAR(loss, loss_ref, 1e-9);
    EXPECT_EQ(correct, correct_ref);
    expect_close(down(grad, M * C), grad_ref, 1e-7, 1e-5, "softmax gradient");
    // Without gradient or count.
    EXPECT_NEAR(be->softmax_cross_entropy(up(x), dev_labels, M, C, nullptr, nullptr), loss_ref, 1e-9);
    // The fused update and its norm: without decay, and with one (w is read only then).
    for (float decay : {0.f, 0.03f}) {
      // sum of n squares, each with relative rounding ~2^-24 from the float sum g + decay w
      const double norm_ref = reference::decayed_sum_squares(z.data(), x.data(), decay, n);
      EXPECT_NEAR(be->decayed_sum_squares(up(z), up(x), decay, n), norm_ref, 1e-6 * norm_ref + 1e-12) << decay;
      std::vector<float> w_ref = x, v_ref = y;
      reference::sgd_momentum(w_ref.data(), v_ref.data(), z.data(), n, 0.05f, 0.9f, 0.5f, decay);
      float* w = up(x);
      float* v = up(y);
      be->sgd_momentum(w, v, up(z), n, 0.05f, 0.9f, 0.5f, decay);
      expect_close(down(w, n), w_ref, 1e-6, 1e-6, "sgd w");
      expect_close(down(v, n), v_ref, 1e-6, 1e-6, "sgd v");
    }
  }

  // Forward, backward data (overwriting and accumulating) and backward weights; the
  // outputs start non-zero, so every entry must be written.
  void check_conv(const ConvGeometry& g) {
    const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.P() * g.Q() * g.K, nw = g.K * g.C * g.R * g.S;
    auto x = random_vector(nx, rng), w = random_vector(nw, rng), dy = random_vector(ny, rng),
         start = random_vector(nx, rng);
    std::vector<float> y_ref(ny), dw_ref(nw);
    reference::conv_forward(g, x.data(), w.data(), y_ref.data());
    float* y = up(std::vector<float>(ny, 5.f));
    be->conv_forward(g, up(x), up(w), y);
    expect_close(down(y, ny), y_ref, 2e-4 * std::sqrt(double(g.C * g.R * g.S)), 1e-4, "conv forward");
    for (bool accumulate : {false, true}) {
      std::vector<float> expected = start;
      reference::conv_backward_data(g, dy.data(), w.data(), expected.data(), accumulate);
      float* dx = up(start);
      be->conv_backward_data(g, up(dy), up(w), dx, accumulate);
      expect_close(down(dx, nx), expected, 2e-4 * std::sqrt(double(g.K * g.R * g.S)), 1e-4, "conv backward data");
    }
    reference::conv_backward_weights(g, dy.data(), x.data(), dw_ref.data());
    float* dw = up(std::vector<float>(nw, 5.f));
    be->conv_backward_weights(g, up(dy), up(x), dw);
    expect_close(down(dw, nw), dw_ref, 2e-4 * std::sqrt(double(g.N * g.P() * g.Q())), 1e-4, "conv backward weights");
    this->check_combined_conv_backward(g);
  }

  // BN (training, probe without running statistics, inference, backward), global average
  // pooling and 2x2 ceil-mode max pooling on an N x H x W x C tensor.
  void check_norm_pool(int64_t N, int64_t H, int64_t W, int64_t C) {
    const int64_t rows = N * H * W, n = rows * C;
    auto x = random_vector(n, rng, 3.0), dy = random_vector(n, rng);
    auto gamma = random_vector(C, rng), beta = random_vector(C, rng);
    for (float& v : x) v += 2.f;  // a non-zero mean
    std::vector<float> y_ref(n), mean_ref(C), var_ref(C), run_m_ref(C, 0.5f), run_v_ref(C, 2.f);
    reference::batchnorm_forward(x.data(), y_ref.data(), rows, C, gamma.data(), beta.data(), mean_ref.data(),
                                 var_ref.data(), run_m_ref.data(), run_v_ref.data(), 0.1f, true, 1e-5f);
    float *y = up(std::vector<float>(n)), *mean = up(std::vector<float>(C)), *var = up(std::vector<float>(C));
    float *run_m = up(std::vector<float>(C, 0.5f)), *run_v = up(std::vector<float>(C, 2.f));
    float *dgamma = up(std::vector<float>(C)), *dbeta = up(std::vector<float>(C));
    float* dx = up(std::vector<float>(n));
    float *xd = up(x), *gd = up(gamma), *bd = up(beta), *dyd = up(dy);
    be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, run_m, run_v, 0.1f, true, 1e-5f, false);
    expect_close(down(y, n), y_ref, 1e-5, 1e-4, "bn forward (training)");
    expect_close(down(mean, C), mean_ref, 1e-5, 1e-5, "batch mean");
    expect_close(down(var, C), var_ref, 1e-4, 1e-4, "batch var");
    expect_close(down(run_m, C), run_m_ref, 1e-5, 1e-5, "running mean");
    expect_close(down(run_v, C), run_v_ref, 1e-4, 1e-4, "running var");
    // Training without running statistics (the estimators' probe passes).
    be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, nullptr, nullptr, 0.1f, true, 1e-5f, false);
    expect_close(down(y, n), y_ref, 1e-5, 1e-4, "bn forward (probe)");
    expect_close(down(run_m, C), run_m_ref, 1e-5, 1e-5, "running mean untouched by a probe");
    reference::batchnorm_forward(x.data(), y_ref.data(), rows, C, gamma.data(), beta.data(), mean_ref.data(),
                                 var_ref.data(), run_m_ref.data(), run_v_ref.data(), 0.1f, false, 1e-5f);
    be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, run_m, run_v, 0.1f, false, 1e-5f, false);
    expect_close(down(y, n), y_ref, 1e-5, 1e-4, "bn forward (inference)");
    std::vector<float> dx_ref(n), dgamma_ref(C), dbeta_ref(C);
    reference::batchnorm_backward(x.data(), dy.data(), dx_ref.data(), rows, C, gamma.data(), mean_ref.data(),
                                  var_ref.data(), dgamma_ref.data(), dbeta_ref.data(), 1e-5f);
    be->batchnorm_backward(xd, dyd, dx, rows, C, gd, mean, var, dgamma, dbeta, 1e-5f, nullptr);
    expect_close(down(dx, n), dx_ref, 1e-5, 1e-3, "bn dx");
    const double sum_tol = 1e-5 * std::sqrt(double(rows));
    expect_close(down(dgamma, C), dgamma_ref, sum_tol, 1e-4, "bn dgamma");
    expect_close(down(dbeta, C), dbeta_ref, sum_tol, 1e-4, "bn dbeta");
    // BN with the ReLU after it fused (forward: ReLU(BN(x)); backward: dy masked by that output),
    // against the reference's unfused composition, with the tolerances of the unfused op (the ReLU
    // selects, it adds no rounding). The forward must also be exactly ReLU of this backend's own
    // unfused BN, since the fusion changes no arithmetic.
    reference::batchnorm_forward(x.data(), y_ref.data(), rows, C, gamma.data(), beta.data(), mean_ref.data(),
                                 var_ref.data(), static_cast<float*>(nullptr), static_cast<float*>(nullptr), 0.1f, true,
                                 1e-5f);
    std::vector<float> relu_ref = y_ref;
    reference::relu_forward(relu_ref.data(), relu_ref.data(), n);
    be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, nullptr, nullptr, 0.1f, true, 1e-5f, false);
    std::vector<float> unfused = down(y, n);
    reference::relu_forward(unfused.data(), unfused.data(), n);
    be->batchnorm_forward(xd, y, rows, C, gd, bd, mean, var, nullptr, nullptr, 0.1f, true, 1e-5f, true);
    const std::vector<float> fused = down(y, n);
    expect_close(fused, relu_ref, 1e-5, 1e-4, "bn + relu forward");
    expect_close(fused, unfused, 0, 0, "bn + relu forward = relu of this backend's bn");
    int64_t zeros = 0;
    for (float v : fused) zeros += v == 0.f;
    EXPECT_GT(zeros, n / 10) << "the ReLU must cut a fair share of the outputs for the check to mean anything";
    std::vector<float> masked = dy;
    reference::relu_backward(relu_ref.data(), masked.data(), n);
    reference::batchnorm_backward(x.data(), masked.data(), dx_ref.data(), rows, C, gamma.data(), mean_ref.data(),
                                  var_ref.data(), dgamma_ref.data(), dbeta_ref.data(), 1e-5f);
    be->batchnorm_backward(xd, dyd, dx, rows, C, gd, mean, var, dgamma, dbeta, 1e-5f, y);
    expect_close(down(dx, n), dx_ref, 1e-5, 1e-3, "bn + relu dx");
    expect_close(down(dgamma, C), dgamma_ref, sum_tol, 1e-4, "bn + relu dgamma");
    expect_close(down(dbeta, C), dbeta_ref, sum_tol, 1e-4, "bn + relu dbeta");
    EXPECT_EQ(down(dyd, n), dy) << "the fused backward reads dy and leaves it as it was";
    // Global average pooling over the H*W positions.
    std::vector<float> pooled_ref(N * C), back_ref(n);
    reference::global_avgpool_forward(x.data(), pooled_ref.data(), N, H * W, C);
    float* pooled = up(std::vector<float>(N * C));
    be->global_avgpool_forward(xd, pooled, N, H * W, C);
    expect_close(down(pooled, N * C), pooled_ref, 1e-5, 1e-5, "avgpool");
    auto dpooled = random_vector(N * C, rng);
    reference::global_avgpool_backward(dpooled.data(), back_ref.data(), N, H * W, C);
    be->global_avgpool_backward(up(dpooled), dx, N, H * W, C);
    expect_close(down(dx, n), back_ref, 1e-6, 1e-6, "avgpool backward");
    // 2x2 ceil-mode max pooling: exact (a selection, no arithmetic).
    const int64_t outputs = N * ((H + 1) / 2) * ((W + 1) / 2) * C;
    std::vector<float> mp_ref(outputs), mpdx_ref(n);
    std::vector<int32_t> am_ref(outputs), am_host(outputs);
    reference::maxpool_forward(x.data(), mp_ref.data(), am_ref.data(), N, H, W, C);
    int32_t* am = up(std::vector<int32_t>(outputs));
    float* mp = up(std::vector<float>(outputs));
    be->maxpool_forward(xd, mp, am, N, H, W, C);
    expect_close(down(mp, outputs), mp_ref, 0, 0, "maxpool");
    be->to_host(am_host.data(), am, sizeof(int32_t) * outputs);
    EXPECT_EQ(am_host, am_ref) << "maxpool argmax";
    auto dmp = random_vector(outputs, rng);
    reference::maxpool_backward(dmp.data(), am_ref.data(), mpdx_ref.data(), N, H, W, C);
    float* mpdx = up(std::vector<float>(n, 9.f));  // every entry must be written
    be->maxpool_backward(up(dmp), am, mpdx, N, H, W, C);
    expect_close(down(mpdx, n), mpdx_ref, 0, 0, "maxpool backward");
  }
};

}  // namespace test
}  // namespace layerprune
