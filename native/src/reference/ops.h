// Reference ops: plain loops, obviously correct, slow. They are the specification
// the fast backends are tested against (and, in double precision, are themselves
// tested against finite differences). Never called on the fast path.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "backend/backend.h"

namespace layerprune::reference {

// x rounded to the nearest bf16 (ties to even), returned as the float it equals: bf16 keeps
// f32's sign and 8 exponent bits and the top 7 of its 23 fraction bits, so its unit roundoff is
// 2^-8. Infinities stay; a NaN stays a (quiet) NaN.
inline float round_to_bf16(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) {
    if (u & 0x007fffffu) u |= 0x00400000u;  // NaN: keep it one after truncation
  } else {
    u += 0x7fffu + ((u >> 16) & 1u);
  }
  u &= 0xffff0000u;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// Y (M,N) = X (M,K) W (N,K)^T + b, optional ReLU.
template <typename T>
void linear_forward(const T* X, const T* W, const T* b, T* Y, int64_t M, int64_t N, int64_t K,
                    bool relu) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      T acc = b ? b[n] : T(0);
      for (int64_t k = 0; k < K; ++k) acc += X[m * K + k] * W[n * K + k];
      Y[m * N + n] = relu ? std::max(acc, T(0)) : acc;
    }
}

// dX (M,K) (+)= dY (M,N) W (N,K)
template <typename T>
void linear_backward_data(const T* dY, const T* W, T* dX, int64_t M, int64_t N, int64_t K,
                          bool accumulate) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k) {
      T acc = accumulate ? dX[m * K + k] : T(0);
      for (int64_t n = 0; n < N; ++n) acc += dY[m * N + n] * W[n * K + k];
      dX[m * K + k] = acc;
    }
}

// dW (N,K) = dY^T X; db (N) = colsum dY
template <typename T>
void linear_backward_weights(const T* dY, const T* X, T* dW, T* db, int64_t M, int64_t N,
                             int64_t K) {
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t k = 0; k < K; ++k) {
      T acc = 0;
      for (int64_t m = 0; m < M; ++m) acc += dY[m * N + n] * X[m * K + k];
      dW[n * K + k] = acc;
    }
    if (db) {
      T acc = 0;
      for (int64_t m = 0; m < M; ++m) acc += dY[m * N + n];
      db[n] = acc;
    }
  }
}

// db (N) = column sums of dY (M,N)
template <typename T>
void column_sums(const T* dY, T* db, int64_t M, int64_t N) {
  for (int64_t n = 0; n < N; ++n) {
    T acc = 0;
    for (int64_t m = 0; m < M; ++m) acc += dY[m * N + n];
    db[n] = acc;
  }
}

template <typename T>
void relu_backward(const T* Y, T* dY, int64_t n) {
  for (int64_t i = 0; i < n; ++i)
    if (!(Y[i] > T(0))) dY[i] = T(0);
}

template <typename T>
void add_scaled(const T* x, T a, const T* z, T* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] + a * z[i];
}

// Mean cross-entropy; dlogits = (softmax - onehot)/M.
template <typename T>
double softmax_cross_entropy(const T* logits, const int32_t* labels, int64_t M, int64_t C,
                             T* dlogits, int64_t* correct) {
  double total = 0;
  int64_t hits = 0;
  for (int64_t m = 0; m < M; ++m) {
    const T* row = logits + m * C;
    T max = row[0];
    int64_t arg = 0;
    for (int64_t c = 1; c < C; ++c)
      if (row[c] > max) max = row[c], arg = c;
    double sum = 0;
    for (int64_t c = 0; c < C; ++c) sum += std::exp(double(row[c] - max));
    const double log_sum = std::log(sum) + double(max);
    total += log_sum - double(row[labels[m]]);
    hits += arg == labels[m];
    if (dlogits)
      for (int64_t c = 0; c < C; ++c)
        dlogits[m * C + c] =
            T((std::exp(double(row[c]) - log_sum) - (c == labels[m] ? 1.0 : 0.0)) / double(M));
  }
  if (correct) *correct = hits;
  return total / double(M);
}

template <typename T>
double sum_squares(const T* x, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(x[i]);
  return acc;
}

template <typename T>
double dot(const T* x, const T* y, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += double(x[i]) * double(y[i]);
  return acc;
}

template <typename T>
double decayed_sum_squares(const T* g, const T* w, T decay, int64_t n) {
  double acc = 0;
  for (int64_t i = 0; i < n; ++i) {
    const T d = g[i] + decay * w[i];
    acc += double(d) * double(d);
  }
  return acc;
}

template <typename T>
void sgd_momentum(T* w, T* v, const T* g, int64_t n, T lr, T momentum, T grad_scale, T decay) {
  for (int64_t i = 0; i < n; ++i) {
    const T d = g[i] + decay * w[i];
    v[i] = momentum * v[i] + grad_scale * d;
    w[i] -= lr * v[i];
  }
}

// Convolution, NHWC activations, (K, C, R, S) filters.
template <typename T, typename G>
void conv_forward(const G& g, const T* x, const T* w, T* y) {
  const int64_t P = g.P(), Q = g.Q();
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t q = 0; q < Q; ++q)
        for (int64_t k = 0; k < g.K; ++k) {
          T acc = 0;
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t s = 0; s < g.S; ++s) {
              const int64_t h = p * g.stride - g.pad + r, wi = q * g.stride - g.pad + s;
              if (h < 0 || h >= g.H || wi < 0 || wi >= g.W) continue;
              for (int64_t c = 0; c < g.C; ++c)
                acc += x[((n * g.H + h) * g.W + wi) * g.C + c] * w[((k * g.C + c) * g.R + r) * g.S + s];
            }
          y[((n * P + p) * Q + q) * g.K + k] = acc;
        }
}

template <typename T, typename G>
void conv_backward_data(const G& g, const T* dy, const T* w, T* dx, bool accumulate) {
  const int64_t P = g.P(), Q = g.Q();
  if (!accumulate)
    for (int64_t i = 0; i < g.N * g.H * g.W * g.C; ++i) dx[i] = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t q = 0; q < Q; ++q)
        for (int64_t k = 0; k < g.K; ++k) {
          const T d = dy[((n * P + p) * Q + q) * g.K + k];
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t s = 0; s < g.S; ++s) {
              const int64_t h = p * g.stride - g.pad + r, wi = q * g.stride - g.pad + s;
              if (h < 0 || h >= g.H || wi < 0 || wi >= g.W) continue;
              for (int64_t c = 0; c < g.C; ++c)
                dx[((n * g.H + h) * g.W + wi) * g.C + c] += d * w[((k * g.C + c) * g.R + r) * g.S + s];
            }
        }
}

template <typename T, typename G>
void conv_backward_weights(const G& g, const T* dy, const T* x, T* dw) {
  const int64_t P = g.P(), Q = g.Q();
  for (int64_t i = 0; i < g.K * g.C * g.R * g.S; ++i) dw[i] = 0;
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t q = 0; q < Q; ++q)
        for (int64_t k = 0; k < g.K; ++k) {
          const T d = dy[((n * P + p) * Q + q) * g.K + k];
          for (int64_t r = 0; r < g.R; ++r)
            for (int64_t s = 0; s < g.S; ++s) {
              const int64_t h = p * g.stride - g.pad + r, wi = q * g.stride - g.pad + s;
              if (h < 0 || h >= g.H || wi < 0 || wi >= g.W) continue;
              for (int64_t c = 0; c < g.C; ++c)
                dw[((k * g.C + c) * g.R + r) * g.S + s] += d * x[((n * g.H + h) * g.W + wi) * g.C + c];
            }
        }
}

template <typename T>
void batchnorm_forward(const T* x, T* y, int64_t rows, int64_t C, const T* gamma, const T* beta, T* mean,
                       T* var, T* running_mean, T* running_var, T momentum, bool training, T eps) {
  for (int64_t c = 0; c < C; ++c) {
    T m, v;
    if (training) {
      double s = 0, s2 = 0;
      for (int64_t i = 0; i < rows; ++i) s += double(x[i * C + c]);
      const double mu = s / double(rows);
      for (int64_t i = 0; i < rows; ++i) s2 += (double(x[i * C + c]) - mu) * (double(x[i * C + c]) - mu);
      m = T(mu);
      v = T(s2 / double(rows));
      mean[c] = m;
      var[c] = v;
      if (running_mean) {
        running_mean[c] = (T(1) - momentum) * running_mean[c] + momentum * m;
        running_var[c] = (T(1) - momentum) * running_var[c] +
                         momentum * T(s2 / double(rows > 1 ? rows - 1 : 1));
      }
    } else {
      m = running_mean[c];
      v = running_var[c];
    }
    const T inv = T(1) / std::sqrt(v + eps);
    for (int64_t i = 0; i < rows; ++i) y[i * C + c] = gamma[c] * (x[i * C + c] - m) * inv + beta[c];
  }
}

template <typename T>
void batchnorm_backward(const T* x, const T* dy, T* dx, int64_t rows, int64_t C, const T* gamma, const T* mean,
                        const T* var, T* dgamma, T* dbeta, T eps) {
  for (int64_t c = 0; c < C; ++c) {
    const T inv = T(1) / std::sqrt(var[c] + eps);
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t i = 0; i < rows; ++i) {
      const double xhat = (double(x[i * C + c]) - double(mean[c])) * double(inv);
      sum_dy += double(dy[i * C + c]);
      sum_dy_xhat += double(dy[i * C + c]) * xhat;
    }
    dgamma[c] = T(sum_dy_xhat);
    dbeta[c] = T(sum_dy);
    for (int64_t i = 0; i < rows; ++i) {
      const double xhat = (double(x[i * C + c]) - double(mean[c])) * double(inv);
      dx[i * C + c] = T(double(gamma[c]) * double(inv) / double(rows) *
                        (double(rows) * double(dy[i * C + c]) - sum_dy - xhat * sum_dy_xhat));
    }
  }
}

template <typename T>
void global_avgpool_forward(const T* x, T* y, int64_t N, int64_t spatial, int64_t C) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      double acc = 0;
      for (int64_t s = 0; s < spatial; ++s) acc += double(x[(n * spatial + s) * C + c]);
      y[n * C + c] = T(acc / double(spatial));
    }
}

template <typename T>
void global_avgpool_backward(const T* dy, T* dx, int64_t N, int64_t spatial, int64_t C) {
  for (int64_t n = 0; n < N; ++n)
    for (int64_t s = 0; s < spatial; ++s)
      for (int64_t c = 0; c < C; ++c) dx[(n * spatial + s) * C + c] = dy[n * C + c] / T(spatial);
}

// Max pooling (PoolGeometry of backend/backend.h: square windows, stride, padding, floor or ceil
// mode); argmax holds the flat index into x of each maximum, the first in row-major window order.
template <typename T>
void maxpool_forward(const PoolGeometry& g, const T* x, T* y, int32_t* argmax) {
  const int64_t P = g.P(), Q = g.Q();
  for (int64_t n = 0; n < g.N; ++n)
    for (int64_t p = 0; p < P; ++p)
      for (int64_t q = 0; q < Q; ++q)
        for (int64_t c = 0; c < g.C; ++c) {
          int64_t best = -1;
          const int64_t h0 = p * g.stride - g.pad, w0 = q * g.stride - g.pad;
          for (int64_t h = std::max<int64_t>(h0, 0); h < std::min(h0 + g.kernel, g.H); ++h)
            for (int64_t w = std::max<int64_t>(w0, 0); w < std::min(w0 + g.kernel, g.W); ++w) {
              const int64_t i = ((n * g.H + h) * g.W + w) * g.C + c;
              if (best < 0 || x[i] > x[best]) best = i;
            }
          const int64_t o = ((n * P + p) * Q + q) * g.C + c;
          y[o] = x[best];
          argmax[o] = static_cast<int32_t>(best);
        }
}

// dx = 0, then dx[argmax[o]] += dy[o] in output order.
template <typename T>
void maxpool_backward(const PoolGeometry& g, const T* dy, const int32_t* argmax, T* dx) {
  for (int64_t i = 0; i < g.N * g.H * g.W * g.C; ++i) dx[i] = 0;
  const int64_t outputs = g.N * g.P() * g.Q() * g.C;
  for (int64_t o = 0; o < outputs; ++o) dx[argmax[o]] += dy[o];
}

// 2x2/2 max pooling, ceil mode.
template <typename T>
void maxpool_forward(const T* x, T* y, int32_t* argmax, int64_t N, int64_t H, int64_t W, int64_t C) {
  maxpool_forward(pool2x2(N, H, W, C), x, y, argmax);
}

template <typename T>
void maxpool_backward(const T* dy, const int32_t* argmax, T* dx, int64_t N, int64_t H, int64_t W, int64_t C) {
  maxpool_backward(pool2x2(N, H, W, C), dy, argmax, dx);
}

template <typename T>
void relu_forward(const T* x, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0);
}

template <typename T>
void add_channel_bias(T* y, const T* bias, int64_t rows, int64_t C, bool relu) {
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t c = 0; c < C; ++c) {
      const T v = y[i * C + c] + bias[c];
      y[i * C + c] = relu && v < T(0) ? T(0) : v;
    }
}

}  // namespace layerprune::reference
