// Exact expectations over all 2^L gate patterns (L <= 16), for tests and diagnostics:
// the oracle the stochastic estimators are held to (ALGORITHM.md section 3).
#pragma once
#include <cstdint>
#include <vector>

#include "model/gated_network.h"

namespace layerprune {

struct ExactGradient {
  double expected_loss = 0.0;      // E_xi[L(xi)]
  std::vector<double> data_grad;   // E_{xi_-l}[L(xi_l = 1) - L(xi_l = 0)] per section
};

// Uses the batch already in the model's input and label buffers (`rows` rows);
// pruned sections count as gate 0. Overwrites the model's stored activations.
ExactGradient exact_theta_gradient(GatedNetwork& model, int64_t rows);

}  // namespace layerprune
