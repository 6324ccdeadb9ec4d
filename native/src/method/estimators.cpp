#include <cmath>

#include "core/error.h"
#include "layerprune/types.h"
#include "method/estimator.h"

namespace layerprune {
namespace {

class TwoPointEstimator final : public ThetaEstimator {
 public:
  TwoPointEstimator(double fraction, int32_t sections)
      : fraction_(fraction), live_(sections), flipped_(sections) {}
  const char* name() const override { return "two-point"; }

  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    GatedNetwork& model = ctx.model;
    const int32_t L = model.sections();
    int32_t A = 0;
    for (int32_t l = 0; l < L; ++l) {
      grad[l] = 0.0;
      if (!model.gate(l).pruned) live_[A++] = l;
    }
    if (A == 0) {
      ctx.reduce_mean(nullptr, 0);
      return 0.0;
    }
    const int32_t k = std::max<int32_t>(1, static_cast<int32_t>(std::ceil(fraction_ * A - 1e-9)));
    double flops = 0.0;
    for (int32_t i = 0; i < k; ++i) {  // partial Fisher-Yates: k distinct live sections
      const int32_t j = i + static_cast<int32_t>(ctx.rng.below(static_cast<uint64_t>(A - i)));
      std::swap(live_[i], live_[j]);
      const int32_t l = live_[i];
      const float flip = ctx.gates[l] != 0.f ? 0.f : 1.f;
      const double other = model.rerun_loss(ctx.rows, ctx.gates, l, flip);
      const double with = flip == 1.f ? other : ctx.step_loss;
      const double without = flip == 1.f ? ctx.step_loss : other;
      grad[l] = double(A) / double(k) * (with - without);
      flipped_ = ctx.gates;  // no allocation: same size every step
      flipped_[l] = flip;
      flops += model.forward_flops(flipped_, l);
    }
    ctx.reduce_mean(grad.data(), L);  // each g_l is linear in the shard's losses: their mean is the batch's
    return flops * double(ctx.rows);
  }

 private:
  double fraction_;
  std::vector<int32_t> live_;
  std::vector<float> flipped_;
};

}  // namespace

std::unique_ptr<ThetaEstimator> make_two_point_estimator(double fraction, int32_t sections) {
  require(fraction > 0.0 && fraction <= 1.0,
          "could not create the two-point estimator because fraction must be in (0, 1], got ", fraction);
  return std::make_unique<TwoPointEstimator>(fraction, sections);
}

std::unique_ptr<ThetaEstimator> make_estimator(int32_t kind, double fraction, double budget, int32_t sections) {
  switch (kind) {
    case ESTIMATOR_BUDGETED:
      return make_budgeted_estimator(budget, sections);
    case ESTIMATOR_TWO_POINT:
      return make_two_point_estimator(fraction, sections);
    case ESTIMATOR_SCORE_FUNCTION:
      return make_score_function_estimator();
    case ESTIMATOR_LINEARIZED:
      return make_linearized_estimator(false);
    case ESTIMATOR_LINEARIZED_SKIP:
      return make_linearized_estimator(true);
    default:
      fail("could not create the estimator because kind ", kind,
           " is unknown (0 two-point, 1 score-function, 2 linearized, 3 linearized-skip, 4 budgeted)");
  }
}

}  // namespace layerprune
