#include <algorithm>

#include "method/estimator.h"

namespace layerprune {
namespace {

class ScoreFunctionEstimator final : public ThetaEstimator {
 public:
  const char* name() const override { return "score-function"; }

  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    // The baseline uses only past losses, so it does not bias the estimate; it starts
    // at the first loss seen instead of 0 to avoid a large initial variance.
    if (!has_baseline_) baseline_ = ctx.step_loss, has_baseline_ = true;
    const double centred = ctx.step_loss - baseline_;
    for (int32_t l = 0; l < ctx.model.sections(); ++l) {
      const GateState& s = ctx.model.gate(l);
      grad[l] = s.pruned ? 0.0
                         : centred * (double(ctx.gates[l]) - s.theta) /
                               std::max(s.theta * (1.0 - s.theta), 1e-3);
    }
    baseline_ = 0.9 * baseline_ + 0.1 * ctx.step_loss;
    return 0.0;  // no extra passes
  }

 private:
  double baseline_ = 0.0;
  bool has_baseline_ = false;
};

}  // namespace

std::unique_ptr<ThetaEstimator> make_score_function_estimator() {
  return std::make_unique<ScoreFunctionEstimator>();
}

}  // namespace layerprune
