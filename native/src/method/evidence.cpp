#include "method/evidence.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"

namespace layerprune {

namespace {
constexpr double kLongWindow = 4.0;  // the long window's cap, in horizons
}

ThetaEvidence::ThetaEvidence(int32_t sections, double horizon, double z)
    : s_(static_cast<size_t>(sections)), long_(static_cast<size_t>(sections)), horizon_(horizon), z_(z) {
  require(std::isfinite(horizon) && horizon >= 1.0, "the evidence horizon must be >= 1 step, got ", horizon);
  require(std::isfinite(z) && z >= 0.0, "the evidence confidence z must be >= 0, got ", z);
}

void ThetaEvidence::Running::add(double estimate, double sampling_variance, double h) {
  count += 1.0;
  const double decay = 1.0 - 1.0 / h;
  w = decay * w + 1.0;
  w2 = decay * decay * w2 + 1.0;
  sum = decay * sum + estimate;
  sum2 = decay * sum2 + estimate * estimate;
  // An unknown sampling variance (the estimator has not measured the section yet) means no
  // trust; the first known one stands for the whole window so far.
  if (!std::isfinite(sampling_variance))
    sampling = std::numeric_limits<double>::infinity();
  else if (!std::isfinite(sampling))
    sampling = sampling_variance * w;
  else
    sampling = decay * sampling + sampling_variance;
}

double ThetaEvidence::Running::mean() const { return w > 0.0 ? sum / w : 0.0; }

double ThetaEvidence::Running::effective_samples() const { return w2 > 0.0 ? w * w / w2 : 0.0; }

double ThetaEvidence::Running::standard_error() const {
  const double n = effective_samples();
  if (n < kMinEvidence || !std::isfinite(sampling)) return std::numeric_limits<double>::infinity();
  const double m = sum / w;
  // Weighted variance with the reliability-weights correction (unbiased for iid estimates),
  // never below the mean variance the estimator's subsampling adds.
  const double sample = std::max(0.0, sum2 / w - m * m) * n / (n - 1.0);
  const double var = std::max(sample, sampling / w);
  return std::sqrt(var / n);
}

double ThetaEvidence::Running::supported(double prior, double z) const {
  const double x = mean() + prior;
  const double se = standard_error();
  if (!std::isfinite(se)) return 0.0;
  const double excess = std::fabs(x) - z * se;
  return excess > 0.0 ? std::copysign(excess, x) : 0.0;
}

void ThetaEvidence::observe(int32_t l, double estimate, double sampling_variance) {
  // The recent window: the most recent quarter of the estimates, at most `horizon` steps.
  // The long window: all of them, at most kLongWindow horizons.
  const double count = s_[l].count + 1.0;
  s_[l].add(estimate, sampling_variance, std::clamp(count / 4.0, 1.0, horizon_));
  long_[l].add(estimate, sampling_variance, std::clamp(count, 1.0, kLongWindow * horizon_));
}

double ThetaEvidence::mean(int32_t l) const { return s_[l].mean(); }
double ThetaEvidence::effective_samples(int32_t l) const { return s_[l].effective_samples(); }
double ThetaEvidence::standard_error(int32_t l) const { return s_[l].standard_error(); }
double ThetaEvidence::long_mean(int32_t l) const { return long_[l].mean(); }
double ThetaEvidence::long_standard_error(int32_t l) const { return long_[l].standard_error(); }

double ThetaEvidence::supported(int32_t l, double prior) const {
  const double recent = s_[l].supported(prior, z_);
  if (recent <= 0.0) return recent;  // towards keeping (or nothing): the recent window decides
  // Towards removal only as far as the long window supports it too.
  return std::min(recent, std::max(0.0, long_[l].supported(prior, z_)));
}

double ThetaEvidence::priority(int32_t l, double prior) const {
  const double x = std::fabs(mean(l) + prior);
  const double se = standard_error(l);
  if (!std::isfinite(se) || x <= z_ * se) return 1.0;
  return std::clamp(z_ * se / x, 0.1, 1.0);
}

std::vector<double> ThetaEvidence::state() const {
  std::vector<double> out;
  out.reserve(2 * s_.size() * kStateValues);
  for (const std::vector<Running>* v : {&s_, &long_})
    for (const Running& r : *v) out.insert(out.end(), {r.w, r.w2, r.sum, r.sum2, r.sampling, r.count});
  return out;
}

void ThetaEvidence::restore(const std::vector<double>& state) {
  require(state.size() == 2 * s_.size() * kStateValues, "could not restore the theta evidence because it has ",
          state.size(), " values, expected ", 2 * s_.size() * kStateValues);
  const double* v = state.data();
  for (std::vector<Running>* runs : {&s_, &long_})
    for (Running& r : *runs) {
      for (int i = 0; i < kStateValues; ++i)
        require(!std::isnan(v[i]), "could not restore the theta evidence because a value is NaN (corrupt)");
      r = Running{v[0], v[1], v[2], v[3], v[4], v[5]};
      v += kStateValues;
    }
}

}  // namespace layerprune
