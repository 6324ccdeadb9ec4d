#include "method/estimator.h"

namespace layerprune {
namespace {

// One implementation, two parameterisations: linearized (every live section, bodies of
// skipped sections computed in backward) and linearized-skip (sampled sections only,
// importance-weighted by 1/theta).
class LinearizedEstimator final : public ThetaEstimator {
 public:
  explicit LinearizedEstimator(bool skip_unsampled) : skip_unsampled_(skip_unsampled) {}
  const char* name() const override { return skip_unsampled_ ? "linearized-skip" : "linearized"; }
  GatedNetwork::Directional directional_need() const override {
    return skip_unsampled_ ? GatedNetwork::kRunSections : GatedNetwork::kAllLive;
  }

  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    const std::vector<double>& d = *ctx.directional;
    for (int32_t l = 0; l < ctx.model.sections(); ++l) {
      const GateState& s = ctx.model.gate(l);
      if (s.pruned) {
        grad[l] = 0.0;
      } else if (skip_unsampled_) {
        grad[l] = ctx.gates[l] != 0.f && s.theta > 0.0 ? d[l] / s.theta : 0.0;
      } else {
        grad[l] = d[l];
      }
    }
    ctx.reduce_mean(grad.data(), ctx.model.sections());  // linear in the shard's terms: their mean is the batch's
    return 0.0;  // the skipped bodies' forwards are counted by backward
  }

 private:
  bool skip_unsampled_;
};

}  // namespace

std::unique_ptr<ThetaEstimator> make_linearized_estimator(bool skip_unsampled) {
  return std::make_unique<LinearizedEstimator>(skip_unsampled);
}

}  // namespace layerprune
