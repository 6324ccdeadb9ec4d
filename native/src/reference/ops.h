// Reference ops: plain loops, obviously correct, slow. They are the specification
// the fast backends are tested against (and, in double precision, are themselves
// tested against finite differences). Never called on the fast path.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace layerprune::reference {

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
void sgd_momentum(T* w, T* v, const T* g, int64_t n, T lr, T momentum, T grad_scale) {
  for (int64_t i = 0; i < n; ++i) {
    v[i] = momentum * v[i] + grad_scale * g[i];
    w[i] -= lr * v[i];
  }
}

}  // namespace layerprune::reference
