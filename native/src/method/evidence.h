// The evidence behind each theta step (docs/ALGORITHM.md "Pruning rule").
//
// The estimators give one unbiased but noisy estimate of each section's data term
// D_l = E[L(xi_l = 1) - L(xi_l = 0)] per step. Taken one at a time (ALGORITHM.md 4 as
// written), a few large noisy steps early in training can carry theta to 0, and pruning is
// permanent. This class keeps, per section, an exponentially weighted running mean of the
// estimates and its standard error, and says which part of the theta gradient
// x_l = mean_l + prior_l the evidence supports:
//
//     supported_l = sign(x_l) * max(0, |x_l| - z * SE_l)
//
// (soft thresholding at z standard errors). Theta moves only by what is supported, so a
// section moves towards removal only while its running estimate says, at z standard
// errors, that it does not pay for its prior cost tau_l, and a section with no evidence
// either way stays where it is.
//
// The window. D_l is not stationary: on an untrained network every section raises the
// loss (measured on ResNet-20, docs/experiments/estimator-trace/: d_l > 0 for the first ~20
// steps, then strongly < 0), so old estimates must be forgotten. The running mean weighs the
// most recent quarter of the section's estimates (decay 1 - 1/h, h = count/4), at most
// `horizon` steps; its standard error is that of a weighted mean, sqrt(var / n_eff),
// n_eff = (sum w)^2 / sum w^2 (about count/2, at most 2 horizon), and no theta moves before
// n_eff reaches kMinEvidence. The usefulness of a section also swings for stretches of 50-100
// steps while the network changes fast (measured on ResNet-56), so a move towards removal must
// be supported by a second, longer window as well (the whole history so far, at most
// 4 horizon steps): both must say, at z standard errors, that the section does not pay.
// Moves towards keeping need the recent window only. var is the larger of the window's sample variance and the
// variance the estimator's own subsampling adds (ThetaEstimator::sampling_variance), so a
// window that happened to hold no re-run of the section does not look certain.
#pragma once
#include <cstdint>
#include <vector>

namespace layerprune {

// Estimates (effective) a window needs before its standard error is trusted.
constexpr double kMinEvidence = 40.0;

class ThetaEvidence {
 public:
  ThetaEvidence(int32_t sections, double horizon, double z);

  // Adds this step's estimate of section l's data term and the variance the estimator's
  // subsampling put into it (0 without subsampling, infinite when unknown).
  void observe(int32_t l, double estimate, double sampling_variance);
  double mean(int32_t l) const;
  // Standard error of mean(l); infinite before kMinEvidence effective estimates.
  double standard_error(int32_t l) const;
  double effective_samples(int32_t l) const;
  // The long window's mean and standard error.
  double long_mean(int32_t l) const;
  double long_standard_error(int32_t l) const;
  // The part of mean(l) + prior that the evidence supports (soft threshold at z SE); towards
  // removal (positive) at most what the long window supports as well.
  double supported(int32_t l, double prior) const;
  // How much a new full measurement of section l is worth, in [0.1, 1]: 1 while the evidence
  // is ambiguous (|mean + prior| within z SE), falling as z SE / |mean + prior| once it is not.
  double priority(int32_t l, double prior) const;

  // Serialization hooks (checkpoints): 2 kStateValues numbers per section.
  std::vector<double> state() const;
  void restore(const std::vector<double>& state);

 private:
  struct Running {
    double w = 0, w2 = 0, sum = 0, sum2 = 0;  // exponentially weighted sums
    double sampling = 0;                       // weighted sum of the sampling variances
    double count = 0;                          // estimates seen

    void add(double estimate, double sampling_variance, double h);
    double mean() const;
    double effective_samples() const;
    double standard_error() const;  // infinite before kMinEvidence effective estimates
    double supported(double prior, double z) const;
  };
  static constexpr int kStateValues = 6;
  std::vector<Running> s_;     // the recent window
  std::vector<Running> long_;  // the long window
  double horizon_;
  double z_;
};

// No section's theta changes by more than this in one step under the evidence rule (from 1
// to 0 takes at least 100 steps, then `patience` more before it is pruned): longer than the
// stretches over which a section's usefulness swings early in training.
constexpr double kMaxThetaStep = 0.01;

// In doubt, rest: while the evidence supports neither direction, theta drifts towards the
// session's rest point by this much per step (docs/ALGORITHM.md "Pruning rule"), so a section
// does not sit at an arbitrary interior theta on no evidence. Under the budgeted estimator the
// rest point is 1 - budget: a gate at rest skips its section `budget` of the time, and what
// that saves pays for the re-runs that gather the evidence (the cost ledger, trainer.cpp).
constexpr double kKeepDrift = 0.001;

// Theta's decrease in one step under the evidence rule: eta * supported / tau (theta moves
// by eta per step for each tau_l of supported gradient), clamped to kMaxThetaStep. With
// tau = 0 (lambda = 0: no prior) the full kMaxThetaStep in the supported direction. Without
// support, towards `rest` by at most kKeepDrift (0 at the rest point).
inline double evidence_step(double eta, double supported, double tau, double theta = 1.0, double rest = 1.0) {
  if (eta == 0.0) return 0.0;
  if (supported == 0.0) {
    const double off = theta - rest;
    return off > kKeepDrift ? kKeepDrift : off < -kKeepDrift ? -kKeepDrift : off;
  }
  const double step = tau > 0.0 ? eta * supported / tau : (supported > 0.0 ? kMaxThetaStep : -kMaxThetaStep);
  return step > kMaxThetaStep ? kMaxThetaStep : step < -kMaxThetaStep ? -kMaxThetaStep : step;
}

}  // namespace layerprune
