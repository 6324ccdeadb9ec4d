// Estimators of the data part of dJ/dtheta (ALGORITHM.md section 3), behind one
// interface. Each is a small implementation; the trainer only sees this class.
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "core/rng.h"
#include "model/gated_network.h"

namespace layerprune {

// Data-parallel training (core/communicator.h, docs/SCALING.md): the step's one all-reduce.
// Each rank measures on its shard of the global batch; an estimator calls mean() once per
// estimate, with the per-section numbers it measured (losses of its re-runs, linearized
// terms, its estimates), and gets back their means over the ranks, which are what a single
// process would have measured on the whole batch (every shard has the same rows). The
// trainer fuses them with the weight gradients, the loss and the BN running statistics into
// one buffer. After the call, `step_loss` is the global batch's loss too. Absent (null) in a
// single process, where the numbers are the batch's already.
class StepReduction {
 public:
  virtual ~StepReduction() = default;
  virtual void mean(double* values, int32_t n, double* step_loss) = 0;
};

struct EstimatorContext {
  GatedNetwork& model;
  const std::vector<float>& gates;  // xi sampled for this step (0/1); pruned = 0
  int64_t rows;                     // batch size
  double step_loss;                 // L(xi) of this step's forward
  Rng& rng;
  // <dL/d zbar_l, B_l(z_l)> from the backward pass, when the estimator asked for it.
  const std::vector<double>* directional = nullptr;
  // How much the caller wants each section measured, in [0, 1] (the evidence rule's
  // ambiguity, method/evidence.h); null = all alike. Only the budgeted estimator reads it.
  const std::vector<double>* priority = nullptr;
  // The most FLOPs the estimator may spend on this step's extra passes (the trainer's cost
  // ledger: what gating and pruning have saved so far, less what the estimator has spent);
  // infinite = no cap. Only the budgeted estimator reads it.
  double max_flops = std::numeric_limits<double>::infinity();
  // The ranks' all-reduce (data-parallel training); null in a single process.
  StepReduction* reduction = nullptr;
  // values[0..n) <- their means over the ranks (and step_loss the global loss); a no-op in a
  // single process. Call it once per estimate, after the draws and re-runs, before the numbers
  // update any state that must stay equal on every rank.
  void reduce_mean(double* values, int32_t n) {
    if (reduction) reduction->mean(values, n, &step_loss);
  }
};

class ThetaEstimator {
 public:
  virtual ~ThetaEstimator() = default;
  virtual const char* name() const = 0;
  // What the backward pass must record for this estimator (linearized estimators).
  virtual GatedNetwork::Directional directional_need() const { return GatedNetwork::kNoDirectional; }
  // Writes the data-term estimate for every live section into grad[l] (0 for the
  // rest) and returns the forward FLOPs of its extra passes (per batch).
  virtual double estimate(EstimatorContext& ctx, std::vector<double>& grad) = 0;
  // Expected FLOPs of the last estimate's extra passes, planned before its random draws
  // (the budgeted estimator: sum_l p_l cost_l); the same as the returned FLOPs for
  // estimators whose passes are not drawn at random, 0 for those without passes.
  virtual double planned_flops() const { return 0.0; }
  // Variance the estimator's own sampling (which sections it re-runs) adds to the last
  // estimate of section l, given whether the section ran; infinite while the estimator cannot
  // tell yet. The evidence rule's standard error is never below it, even in a window that
  // happened to hold no re-run of the section. 0 for estimators without subsampling.
  virtual double sampling_variance(int32_t l, bool ran) const {
    (void)l, (void)ran;
    return 0.0;
  }
  // Whether the last estimate of section l may carry new evidence: false when the estimator
  // gave it no chance of a measurement this step (the budgeted estimator with p_l = 0, when
  // the ledger had nothing to spend), so the estimate is only its prediction from earlier
  // steps; the evidence rule then does not count it. True for estimators without sampling.
  virtual bool measured(int32_t l) const {
    (void)l;
    return true;
  }
  // Serialization hooks (checkpoints): whatever the estimator carries from step to
  // step (the score function's baseline); empty for stateless estimators.
  virtual std::vector<double> state() const { return {}; }
  virtual void restore(const std::vector<double>& state) { (void)state; }
};

// Two-point (default, unbiased): g_l = (A/k) (L(xi_l = 1) - L(xi_l = 0)) on k random
// live sections, k = max(1, ceil(fraction * A)).
std::unique_ptr<ThetaEstimator> make_two_point_estimator(double fraction, int32_t sections);

// Budgeted two-point (default, unbiased): g_l = c_l + (I_l / p_l)(d_l - c_l) with c_l the
// linearized term of a section that ran, I_l ~ Bernoulli(p_l), p_l by Neyman allocation
// within sum_l p_l cost_l = budget * (the live network's training step FLOPs).
std::unique_ptr<ThetaEstimator> make_budgeted_estimator(double budget, int32_t sections);

// Score function (unbiased, high variance): g_l = (L(xi) - b)(xi_l - theta_l) /
// max(theta_l (1 - theta_l), 1e-3), b a running mean of L (momentum 0.9).
std::unique_ptr<ThetaEstimator> make_score_function_estimator();

// Linearized (biased): g_l = <dL/d zbar_l, B_l(z_l)> for every live section (skipped
// ones get their body computed); with `skip_unsampled` (linearized-skip) only the
// sections that ran, g_l = (xi_l / theta_l) <dL/d zbar_l, B_l(z_l)>.
std::unique_ptr<ThetaEstimator> make_linearized_estimator(bool skip_unsampled);

// Selected by EstimatorKind; `fraction` is the two-point subset, `budget` the budgeted one's.
std::unique_ptr<ThetaEstimator> make_estimator(int32_t kind, double fraction, double budget, int32_t sections);

}  // namespace layerprune
