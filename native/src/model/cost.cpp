#include "model/cost.h"

namespace layerprune::cost {

double linear_flops(int64_t in, int64_t out) { return 2.0 * double(in) * double(out); }

double conv_flops(const ConvGeometry& g) {
  return 2.0 * double(g.K) * double(g.C) * double(g.R * g.S) * double(g.P() * g.Q());
}

int64_t section_weights(const PlanOp& s) {
  int64_t n = 0;
  for (const LayerPlan& l : s.body) n += l.weights();
  return n;
}

int64_t section_body_params(const PlanOp& s) {
  int64_t n = 0;
  for (const LayerPlan& l : s.body) n += l.params();
  return n;
}

int64_t section_skip_params(const PlanOp& s) { return s.projection ? s.skip.weights() : 0; }

double section_body_flops(const PlanOp& s) {
  double f = 0.0;
  for (const LayerPlan& l : s.body) f += l.flops();
  return f;
}

double section_skip_flops(const PlanOp& s) { return s.projection ? s.skip.flops() : 0.0; }

double fixed_flops(const PlanOp& op) {
  if (op.kind == PlanOp::kLayer) return op.layer.flops();
  if (op.kind == PlanOp::kSection) return section_skip_flops(op);
  return 0.0;
}

int64_t params(const Plan& plan, const std::vector<bool>& live) {
  int64_t total = 0;
  for (const PlanOp& op : plan.ops) {
    if (op.kind == PlanOp::kLayer) total += op.layer.params();
    if (op.kind == PlanOp::kSection) {
      total += section_skip_params(op);
      if (live[op.index]) total += section_body_params(op);
    }
  }
  return total + plan.head.params();
}

double forward_flops(const Plan& plan, const std::vector<float>& gate, int32_t first) {
  double total = 0.0;
  for (size_t i = first == 0 ? 0 : plan.op_of_section[first]; i < plan.ops.size(); ++i) {
    const PlanOp& op = plan.ops[i];
    if (op.kind == PlanOp::kLayer) total += op.layer.flops();
    if (op.kind == PlanOp::kSection) total += section_skip_flops(op) + double(gate[op.index]) * section_body_flops(op);
  }
  return total + plan.head.flops();
}

}  // namespace layerprune::cost
