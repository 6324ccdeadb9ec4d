#include "method/evidence.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace layerprune {

ThetaEvidence::ThetaEvidence(int32_t sections, double horizon, double z)
    : s_(static_cast<size_t>(sections)), horizon_(horizon), z_(z) {
  require(std::isfinite(horizon) && horizon >= 1.0, "the evidence horizon must be >= 1 step, got ", horizon);
  require(std::isfinite(z) && z >= 0.0, "the evidence confidence z must be >= 0, got ", z);
}

void ThetaEvidence::observe(int32_t l, double estimate, double sampling_variance) {
  Running& r = s_[l];
  r.count += 1.0;
  const double h = std::clamp(r.count / 4.0, 1.0, horizon_);  // the most recent quarter, at most horizon
  const double decay = 1.0 - 1.0 / h;
  r.w = decay * r.w + 1.0;
  r.w2 = decay * decay * r.w2 + 1.0;
  r.sum = decay * r.sum + estimate;
  r.sum2 = decay * r.sum2 + estimate * estimate;
  // An unknown sampling variance (the estimator has not measured the section yet) means no
  // trust; the first known one stands for the whole window so far.
  if (!std::isfinite(sampling_variance))
    r.sampling = std::numeric_limits<double>::infinity();
  else if (!std::isfinite(r.sampling))
    r.sampling = sampling_variance * r.w;
  else
    r.sampling = decay * r.sampling + sampling_variance;
}

double ThetaEvidence::mean(int32_t l) const {
  const Running& r = s_[l];
  return r.w > 0.0 ? r.sum / r.w : 0.0;
}

double ThetaEvidence::effective_samples(int32_t l) const {
  const Running& r = s_[l];
  return r.w2 > 0.0 ? r.w * r.w / r.w2 : 0.0;
}

double ThetaEvidence::standard_error(int32_t l) const {
  const Running& r = s_[l];
  const double n = effective_samples(l);
  if (n < kMinEvidence || !std::isfinite(r.sampling)) return std::numeric_limits<double>::infinity();
  const double m = r.sum / r.w;
  // Weighted variance with the reliability-weights correction (unbiased for iid estimates),
  // never below the mean variance the estimator's subsampling adds.
  const double sample = std::max(0.0, r.sum2 / r.w - m * m) * n / (n - 1.0);
  const double var = std::max(sample, r.sampling / r.w);
  return std::sqrt(var / n);
}

double ThetaEvidence::supported(int32_t l, double prior) const {
  const double x = mean(l) + prior;
  const double se = standard_error(l);
  if (!std::isfinite(se)) return 0.0;
  const double excess = std::fabs(x) - z_ * se;
  return excess > 0.0 ? std::copysign(excess, x) : 0.0;
}

double ThetaEvidence::priority(int32_t l, double prior) const {
  const double x = std::fabs(mean(l) + prior);
  const double se = standard_error(l);
  if (!std::isfinite(se) || x <= z_ * se) return 1.0;
  return std::clamp(z_ * se / x, 0.1, 1.0);
}

std::vector<double> ThetaEvidence::state() const {
  std::vector<double> out;
  out.reserve(s_.size() * kStateValues);
  for (const Running& r : s_) out.insert(out.end(), {r.w, r.w2, r.sum, r.sum2, r.sampling, r.count});
  return out;
}

void ThetaEvidence::restore(const std::vector<double>& state) {
  require(state.size() == s_.size() * kStateValues, "could not restore the theta evidence because it has ",
          state.size(), " values, expected ", s_.size() * kStateValues);
  for (size_t l = 0; l < s_.size(); ++l) {
    const double* v = state.data() + l * kStateValues;
    for (int i = 0; i < kStateValues; ++i)
      require(!std::isnan(v[i]), "could not restore the theta evidence because a value is NaN (corrupt)");
    s_[l] = Running{v[0], v[1], v[2], v[3], v[4], v[5]};
  }
}

}  // namespace layerprune
