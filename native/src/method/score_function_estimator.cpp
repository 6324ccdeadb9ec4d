#include <algorithm>

#include "core/error.h"
#include "method/estimator.h"

namespace layerprune {
namespace {

class ScoreFunctionEstimator final : public ThetaEstimator {
 public:
  const char* name() const override { return "score-function"; }

  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    // The baseline uses only past losses, so it does not bias the estimate; it starts
    // at the first loss seen instead of 0 to avoid a large initial variance.
    ctx.reduce_mean(nullptr, 0);  // the global batch's loss, for the estimate and the baseline alike
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

  std::vector<double> state() const override { return {baseline_, has_baseline_ ? 1.0 : 0.0}; }
  void restore(const std::vector<double>& state) override {
    require(state.size() == 2, "could not restore the score-function estimator because its state has ",
            state.size(), " values, expected 2");
    baseline_ = state[0];
    has_baseline_ = state[1] != 0.0;
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
