#include "method/exact.h"

#include "core/error.h"

namespace layerprune {

ExactGradient exact_theta_gradient(GatedNetwork& model, int64_t rows) {
  const int32_t L = model.sections();
  require(L <= 16, "could not enumerate the gate patterns because the model has ", L,
          " sections (at most 16)");
  const uint32_t patterns = 1u << L;
  std::vector<double> loss(patterns);
  std::vector<float> gates(L);
  for (uint32_t p = 0; p < patterns; ++p) {
    for (int32_t l = 0; l < L; ++l) gates[l] = (p >> l) & 1u ? 1.f : 0.f;
    model.forward(rows, gates, GatedNetwork::kProbe);
    loss[p] = model.loss(rows, false, nullptr);
  }
  ExactGradient out;
  out.data_grad.assign(L, 0.0);
  for (uint32_t p = 0; p < patterns; ++p) {
    double prob = 1.0;  // probability of the pattern; pruned sections are always off
    for (int32_t l = 0; l < L; ++l) {
      const GateState& s = model.gate(l);
      const bool on = (p >> l) & 1u;
      const double theta = s.pruned ? 0.0 : s.theta;
      prob *= on ? theta : 1.0 - theta;
    }
    out.expected_loss += prob * loss[p];
    for (int32_t l = 0; l < L; ++l) {
      if (model.gate(l).pruned || ((p >> l) & 1u)) continue;
      // Probability of the other gates, times the difference the gate makes.
      double prob_rest = 1.0;
      for (int32_t j = 0; j < L; ++j) {
        if (j == l) continue;
        const GateState& s = model.gate(j);
        const double theta = s.pruned ? 0.0 : s.theta;
        prob_rest *= ((p >> j) & 1u) ? theta : 1.0 - theta;
      }
      out.data_grad[l] += prob_rest * (loss[p | (1u << l)] - loss[p]);
    }
  }
  return out;
}

}  // namespace layerprune
