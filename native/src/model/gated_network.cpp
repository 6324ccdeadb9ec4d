#include "model/gated_network.h"

#include "core/error.h"
#include "layerprune/types.h"

namespace layerprune {

// The legacy test networks have no initialisation record; only Network runs the initial-norm prior.
double GatedNetwork::section_initial_norm2(int32_t) const {
  fail("this network does not record its initialisation's scale, so it cannot train with prior_norm = initial");
}

int32_t GatedNetwork::live_sections() const {
  int32_t n = 0;
  for (int32_t l = 0; l < sections(); ++l) n += !gate(l).pruned;
  return n;
}

std::vector<bool> GatedNetwork::live_mask() const {
  std::vector<bool> live(static_cast<size_t>(sections()));
  for (int32_t l = 0; l < sections(); ++l) live[l] = !gate(l).pruned;
  return live;
}

void GatedNetwork::eval_gates(int32_t eval_mode, std::vector<float>& gates) const {
  gates.resize(static_cast<size_t>(sections()));
  for (int32_t l = 0; l < sections(); ++l) {
    const GateState& g = gate(l);
    gates[l] = g.pruned ? 0.f
               : eval_mode == EVAL_EXPECTED ? float(g.theta)
                                            : (g.theta >= 0.5 ? 1.f : 0.f);
  }
}

void GatedNetwork::determinize(int64_t step) {
  for (int32_t l = 0; l < sections(); ++l)
    if (!gate(l).pruned && gate(l).theta < 0.5) prune(l, step);
}

}  // namespace layerprune
