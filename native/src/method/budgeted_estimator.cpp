// The budgeted two-point estimator (the default; docs/ALGORITHM.md "Estimator").
//
// For each live section l, with xi the gate vector of the step:
//   d_l    = L(xi_l = 1) - L(xi_l = 0)   one side is the step's own loss, the other a re-run
//                                        from section l to the loss (forward only)
//   c_l    = <dL/d zbar_l, B_l(z_l)>     the linearized term, when section l ran (xi_l = 1):
//                                        a dot product of two tensors backward already has
//   pred_l = dbar_l + beta (c_l - cbar_l) a control variate: a linear regression of d_l on c_l,
//                                        the section's running means dbar_l, cbar_l over its
//                                        earlier re-runs and one slope beta pooled over all
//                                        sections (for xi_l = 0, where c_l does not exist,
//                                        dbar_l of its re-runs with xi_l = 0, or with xi_l = 1)
//   g_l    = pred_l + (I_l / p_l) (d_l - pred_l),   I_l ~ Bernoulli(p_l) independently
// so E[g_l | xi] = d_l: unbiased like the plain two-point estimator, because dbar_l, cbar_l,
// beta and p_l depend only on earlier steps and on xi, never on this batch's losses. Measured on
// ResNet-56 (docs/experiments/estimator-trace/), c_l alone follows d_l from batch to batch but
// has almost no mean (the loss is strongly curved along a gate), so the section's running mean
// carries the mean and the slope the batch-to-batch part; only the residual d_l - pred_l is
// sampled. A section is re-run only a few times an epoch on deep networks, too few for a slope
// of its own; the slope, close to 1 on most sections, is pooled.
//
// The re-runs are drawn so that their expected cost is a fixed fraction (`budget`) of the
// live network's training step, at every depth:
//   sum_l p_l cost_l = budget * 3 * F_live * rows * max_l pi_l,
// scaled down to the largest priority once every section is decided (to a tenth at least)
// and capped by the trainer's cost ledger (EstimatorContext::max_flops),
// and within that budget p_l follows Neyman allocation, p_l proportional to
// pi_l sqrt(V_l / cost_l): V_l is the running mean of the squared residual (d_l - pred_l)^2,
// shrunk half-way to the mean over sections so that one lucky small residual cannot starve a
// section of re-runs, and pi_l in [0.1, 1] is the trainer's priority (the evidence rule asks
// more often about sections whose evidence is still ambiguous, method/evidence.h).
//
// FLOPs count matrix products only (model/cost.h), so the control variate's dot products
// (2 per activation element, under 0.5 % of a section's body) are not counted; the re-runs are.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "method/estimator.h"
#include "method/rerun_allocation.h"
#include "model/cost.h"

namespace layerprune {
namespace {

constexpr double kFitMomentum = 0.9;     // a section's running means (~10 of its re-runs)
constexpr double kSlopeMomentum = 0.98;  // the pooled slope's running sums (~50 re-runs of any section)
constexpr double kMaxSlope = 2.0;        // beta in [0, kMaxSlope]
constexpr double kPriorSlope = 1.0;      // beta before 5 re-runs: measured 0.9-1.2 on most ResNet sections

// The slope of d on c, pooled over sections (within-section deviations from each section's
// running means): each section is re-run only a few times an epoch, too few to fit a slope of
// its own, while the slope is close to 1 for most of them (docs/experiments/estimator-trace/).
struct PooledSlope {
  double n = 0, dc = 0, cc = 0;
  double value() const { return n >= 5 && cc > 1e-300 ? std::clamp(dc / cc, 0.0, kMaxSlope) : kPriorSlope; }
  void add(double dev_d, double dev_c) {
    dc = kSlopeMomentum * dc + dev_d * dev_c;
    cc = kSlopeMomentum * cc + dev_c * dev_c;
    n += 1;
  }
};

// One section's running means of d and c over its re-runs in one gate state (xi_l = 1, where
// the control variate exists, or xi_l = 0, where c = 0), with the running second moments of d
// and of the residual d - pred. n counts the re-runs seen.
struct Fit {
  double n = 0, d = 0, c = 0, r2 = 0, dd = 0;

  double predict(double control, double beta) const {
    if (n == 0) return control;  // no re-run yet: the linearized term as it is
    return d + beta * (control - c);
  }
  void add(double dv, double cv, double residual) {
    auto mix = [&](double& m, double v) { m = n == 0 ? v : kFitMomentum * m + (1.0 - kFitMomentum) * v; };
    mix(r2, residual * residual);
    mix(d, dv), mix(c, cv), mix(dd, dv * dv);
    n += 1;
  }
};
constexpr size_t kFitValues = 5;

class BudgetedEstimator final : public ThetaEstimator {
 public:
  BudgetedEstimator(double budget, int32_t sections)
      : budget_(budget),
        on_(sections),
        off_(sections),
        rate_(sections, 0.0),
        weight_(sections, 0.0),
        cost_(sections, 0.0),
        fixed_(sections, 0),
        live_on_(sections, 0.f),
        flipped_(sections, 0.f),
        drawn_(sections, 0),
        measured_(2 * static_cast<size_t>(sections), 0.0) {}

  const char* name() const override { return "budgeted"; }
  GatedNetwork::Directional directional_need() const override { return GatedNetwork::kRunSections; }
  double planned_flops() const override { return planned_; }
  bool measured(int32_t l) const override { return rate_[l] > 0.0; }
  double sampling_variance(int32_t l, bool ran) const override {
    const double p = rate_[l];
    const double v = residual_moment(l, ran);
    if (!std::isfinite(v) || p <= 0.0) return std::numeric_limits<double>::infinity();
    return v * (1.0 - p) / p;
  }

  double estimate(EstimatorContext& ctx, std::vector<double>& grad) override {
    GatedNetwork& model = ctx.model;
    const int32_t L = model.sections();
    const std::vector<double>& lin = *ctx.directional;
    int32_t A = 0;
    for (int32_t l = 0; l < L; ++l) {
      live_on_[l] = model.gate(l).pruned ? 0.f : 1.f;
      A += !model.gate(l).pruned;
      grad[l] = 0.0;
      rate_[l] = 0.0;
    }
    if (A == 0) {
      ctx.reduce_mean(nullptr, 0);
      return 0.0;
    }
    // Cost of re-running section l (forward from l to the loss, with l flipped).
    flipped_ = ctx.gates;
    for (int32_t l = 0; l < L; ++l) {
      cost_[l] = 0.0;
      if (model.gate(l).pruned) continue;
      flipped_[l] = ctx.gates[l] != 0.f ? 0.f : 1.f;
      cost_[l] = model.forward_flops(flipped_, l) * double(ctx.rows);
      flipped_[l] = ctx.gates[l];
    }
    allocate(model, ctx, L);

    // Phase 1: the draws, in section order from the shared stream (the same on every rank of a
    // data-parallel job), and this shard's re-runs: d_l into measured_[l], the linearized term
    // into measured_[L + l]. Then their means over the ranks (a no-op in a single process), so
    // that phase 2 updates the running fits from the global batch's numbers on every rank.
    double flops = 0.0;
    for (int32_t l = 0; l < L; ++l) {
      drawn_[l] = 0;
      measured_[l] = 0.0;
      measured_[L + l] = 0.0;
      if (model.gate(l).pruned) continue;
      const bool ran = ctx.gates[l] != 0.f;
      if (ran) measured_[L + l] = lin[l];
      const double p = rate_[l];
      if (p > 0.0 && ctx.rng.uniform() < p) {
        const double other = model.rerun_loss(ctx.rows, ctx.gates, l, ran ? 0.f : 1.f);
        measured_[l] = ran ? ctx.step_loss - other : other - ctx.step_loss;
        drawn_[l] = 1;
        flops += cost_[l];
      }
    }
    ctx.reduce_mean(measured_.data(), 2 * L);

    // Phase 2: prediction, correction and the running fits, in section order (the pooled slope
    // learns from the sections before).
    for (int32_t l = 0; l < L; ++l) {
      if (model.gate(l).pruned) continue;
      const bool ran = ctx.gates[l] != 0.f;
      const double control = ran ? measured_[L + l] : 0.0;
      Fit& fit = ran ? on_[l] : off_[l];
      const double beta = slope_.value();
      const double pred = ran || off_[l].n > 0 ? fit.predict(control, beta) : on_[l].d;
      const double p = rate_[l];
      double correction = 0.0;
      if (drawn_[l]) {
        const double d = measured_[l];
        correction = (d - pred) / p;
        if (ran && fit.n > 0) slope_.add(d - fit.d, control - fit.c);
        fit.add(d, control, d - pred);
      }
      grad[l] = pred + correction;
    }
    return flops;
  }

  std::vector<double> state() const override {
    std::vector<double> s;
    s.reserve(2 * on_.size() * kFitValues + 3);
    for (const std::vector<Fit>* fits : {&on_, &off_})
      for (const Fit& f : *fits) s.insert(s.end(), {f.n, f.d, f.c, f.r2, f.dd});
    s.insert(s.end(), {slope_.n, slope_.dc, slope_.cc});
    return s;
  }
  void restore(const std::vector<double>& state) override {
    require(state.size() == 2 * on_.size() * kFitValues + 3,
            "could not restore the budgeted estimator because its state has ", state.size(), " values, expected ",
            2 * on_.size() * kFitValues + 3);
    for (double v : state)
      require(std::isfinite(v), "could not restore the budgeted estimator because a value is not finite (corrupt)");
    const double* v = state.data();
    for (std::vector<Fit>* fits : {&on_, &off_})
      for (Fit& f : *fits) {
        f = Fit{v[0], v[1], v[2], v[3], v[4]};
        v += kFitValues;
      }
    slope_ = PooledSlope{v[0], v[1], v[2]};
  }

 private:
  // Running E[(d - pred)^2] of section l in the given gate state. A section seen only with
  // xi_l = 1 so far is predicted, when xi_l = 0, by the running mean of d alone, whose residual
  // is bounded by the running E[d^2]; infinite before any re-run.
  double residual_moment(int32_t l, bool ran) const {
    if (ran || off_[l].n > 0) {
      const Fit& f = ran ? on_[l] : off_[l];
      return f.n > 0 ? f.r2 : std::numeric_limits<double>::infinity();
    }
    return on_[l].n > 0 ? on_[l].dd : std::numeric_limits<double>::infinity();
  }

  // p_l = min(1, kappa * w_l), w_l = pi_l sqrt(V_l / cost_l), within the budget
  // (method/rerun_allocation.h).
  void allocate(const GatedNetwork& model, const EstimatorContext& ctx, int32_t L) {
    double known = 0.0;
    int32_t count = 0;
    for (int32_t l = 0; l < L; ++l) {
      if (model.gate(l).pruned) continue;
      const double v = residual_moment(l, ctx.gates[l] != 0.f);
      if (std::isfinite(v)) known += v, ++count;
    }
    const double mean_v = count > 0 && known > 0.0 ? known / count : 1.0;
    for (int32_t l = 0; l < L; ++l) {
      weight_[l] = 0.0;
      if (model.gate(l).pruned || cost_[l] <= 0.0) continue;
      const double own = residual_moment(l, ctx.gates[l] != 0.f);
      const double v = std::isfinite(own) ? 0.5 * (own + mean_v) : mean_v;
      const double priority = ctx.priority ? std::clamp((*ctx.priority)[l], 0.1, 1.0) : 1.0;
      weight_[l] = priority * std::sqrt(v / cost_[l]);
    }
    // The budget is spent in full while any section's evidence is still ambiguous (priority 1;
    // the decided sections' share goes to the undecided ones through the weights) and shrinks to
    // the largest priority once every section is decided (down to a tenth): re-runs are bought
    // only while they can change a decision.
    double scale = 0.0;
    for (int32_t l = 0; l < L; ++l)
      if (!model.gate(l).pruned) scale = std::max(scale, ctx.priority ? std::clamp((*ctx.priority)[l], 0.1, 1.0) : 1.0);
    // And never more than the trainer's ledger holds (what gating and pruning have saved): a
    // step's re-runs are bought whole or not at all. A ledger that paid for a fraction of them
    // would give tiny p_l, whose estimates are unbiased but carry a sampling variance of
    // V (1 - p) / p: one such step would dominate the evidence's variance floor for a whole
    // window. Skipped steps carry no evidence (measured() is false).
    // The ledger is strict: the step buys its re-runs only when the credit covers the worst
    // case of its draws (every section with p_l > 0 re-run), so the run's cumulative FLOPs
    // never exceed the ungated run's, not even by one step's draws. The decision depends on
    // earlier steps only, so the estimate stays unbiased; the price is a reserve of one
    // worst-case step that the run saves before its first re-run.
    const double step_budget = scale * budget_ * cost::training_step_flops(model.forward_flops(live_on_), ctx.rows);
    planned_ = allocate_reruns(cost_, weight_, ctx.max_flops >= step_budget ? step_budget : 0.0, rate_, fixed_);
    if (std::isfinite(ctx.max_flops) && planned_ > 0.0) {
      double worst = 0.0;
      for (int32_t l = 0; l < L; ++l)
        if (rate_[l] > 0.0) worst += cost_[l];
      if (worst > ctx.max_flops) planned_ = allocate_reruns(cost_, weight_, 0.0, rate_, fixed_);
    }
  }

  double budget_;
  double planned_ = 0.0;  // expected FLOPs of the last step's re-runs
  std::vector<Fit> on_, off_;  // per section: re-runs with xi_l = 1 (control variate) and xi_l = 0
  PooledSlope slope_;
  std::vector<double> rate_;   // p_l of the last step
  std::vector<double> weight_, cost_;
  std::vector<char> fixed_;
  std::vector<float> live_on_, flipped_;
  std::vector<char> drawn_;        // I_l of this step
  std::vector<double> measured_;   // d_l (L) then the linearized terms (L): what the ranks average
};

}  // namespace

std::unique_ptr<ThetaEstimator> make_budgeted_estimator(double budget, int32_t sections) {
  require(std::isfinite(budget) && budget > 0.0 && budget <= 1.0,
          "could not create the budgeted estimator because its budget must be in (0, 1], got ", budget);
  return std::make_unique<BudgetedEstimator>(budget, sections);
}

}  // namespace layerprune
