// The flattening hyper-prior of ALGORITHM.md section 2, per section l:
//   J_prior = (lambda / N) * (n_l / 2) * log(theta * ||W||^2 + beta),  beta = n_l * s2
// Pure functions of scalars, shared by the trainer and the tests.
#pragma once
#include <cmath>
#include <cstdint>

namespace layerprune::prior {

struct Terms {
  double lambda;  // prior strength
  double s2;      // per-weight variance floor
  double n_train; // N
};

inline double beta(const Terms& t, int64_t n) { return double(n) * t.s2; }

inline double value(const Terms& t, int64_t n, double theta, double norm2) {
  return t.lambda / t.n_train * double(n) / 2.0 * std::log(theta * norm2 + beta(t, n));
}

// d J_prior / d theta = (lambda n / 2N) ||W||^2 / (theta ||W||^2 + beta)
inline double theta_gradient(const Terms& t, int64_t n, double theta, double norm2) {
  return t.lambda * double(n) / (2.0 * t.n_train) * norm2 / (theta * norm2 + beta(t, n));
}

// d J_prior / d W = coefficient * W with coefficient = (lambda n / N) theta / (theta ||W||^2 + beta)
inline double weight_coefficient(const Terms& t, int64_t n, double theta, double norm2) {
  return t.lambda * double(n) / t.n_train * theta / (theta * norm2 + beta(t, n));
}

// tau_l: the loss reduction (nats) a section must buy to survive at theta = 1.
inline double tau(const Terms& t, int64_t n, double norm2) {
  return t.lambda * double(n) / (2.0 * t.n_train) * norm2 / (norm2 + beta(t, n));
}

// lambda for a target threshold tau: lambda = 2 N tau / max_l n_l (0 when no section has weights).
// The one copy of the formula: the C API's train_config_lambda_for_tau (Java's Trainer.fit) uses it.
inline double lambda_for_tau(double tau, double n_train, int64_t max_section_weights) {
  return max_section_weights > 0 ? 2.0 * n_train * tau / double(max_section_weights) : 0.0;
}

}  // namespace layerprune::prior
