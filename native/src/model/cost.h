// The one place that computes FLOPs and parameter counts, from an architecture's plan
// (model/architecture.h); used by the network, the trainer's accounting, the C API's queries,
// the reports, the benchmarks and the tests alike. FLOPs count 2 per multiply-add of the matrix
// products (dense: 2 in out; conv: 2 K C R S P Q; biases, batch norms, activations and pooling
// are not counted); a training step counts the forward once and the backward twice.
#pragma once
#include <cstdint>
#include <vector>

#include "model/architecture.h"

namespace layerprune::cost {

double linear_flops(int64_t in, int64_t out);  // 2 in out
double conv_flops(const ConvGeometry& g);      // per sample (g.N ignored)

// A gated section (a PlanOp of kind kSection).
int64_t section_weights(const PlanOp& section);      // n_l: the body's matrix/filter entries
int64_t section_body_params(const PlanOp& section);  // + biases, BN gamma and beta
int64_t section_skip_params(const PlanOp& section);  // the projection's, or 0
double section_body_flops(const PlanOp& section);
double section_skip_flops(const PlanOp& section);
// An op's FLOPs that do not depend on gates: ungated layers, skips; sections' bodies excluded.
double fixed_flops(const PlanOp& op);

// Parameters of the network whose sections with live[l] == false are removed (the stem, the
// transitions, the skips and the head always stay).
int64_t params(const Plan& plan, const std::vector<bool>& live);
// Forward FLOPs per sample of sections first..L-1 (and every ungated layer after section
// `first`) and the head, each section body weighted by gate[l] (0 = skipped or pruned, 1 =
// runs, theta = expected cost). first == 0 adds the stem and the layers before section 0.
double forward_flops(const Plan& plan, const std::vector<float>& gate, int32_t first = 0);

inline double training_step_flops(double forward_flops_per_sample, int64_t batch) {
  return 3.0 * forward_flops_per_sample * static_cast<double>(batch);
}

}  // namespace layerprune::cost
