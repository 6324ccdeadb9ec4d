#include "io/normalizer_record.h"

#include <cmath>

#include "core/error.h"

namespace layerprune::io {

Normalizer make_normalizer(const double* mean, const double* std, int64_t groups, int64_t dim) {
  Normalizer n;
  if (groups == 0) return n;
  require(groups > 0, "could not set the normalizer because its length must be >= 0, got ", groups);
  require(mean != nullptr && std != nullptr, "could not set the normalizer because mean or std is null");
  require(dim > 0 && dim % groups == 0, "could not set the normalizer because its ", groups,
          " mean/std pairs do not divide the ", dim, " features per sample (expected one pair per feature, per "
          "channel or a single pair)");
  n.mean.assign(mean, mean + groups);
  n.std.assign(std, std + groups);
  for (int64_t g = 0; g < groups; ++g) {
    require(std::isfinite(n.mean[g]), "could not set the normalizer because mean[", g, "] is ", n.mean[g]);
    require(std::isfinite(n.std[g]) && n.std[g] > 0, "could not set the normalizer because std[", g, "] is ",
            n.std[g], " (it must be finite and > 0)");
  }
  return n;
}

void put_normalizer(const Normalizer& n, Container& out) {
  if (n.empty()) return;
  out.put_f64_array("normalizer.mean", n.mean);
  out.put_f64_array("normalizer.std", n.std);
}

Normalizer get_normalizer(const Container& in, int64_t dim) {
  if (!in.has("normalizer.mean") && !in.has("normalizer.std")) return {};
  const std::vector<double> mean = in.get_f64_array("normalizer.mean");
  const std::vector<double> std = in.get_f64_array("normalizer.std");
  require(mean.size() == std.size(), "could not read the normalizer because normalizer.mean holds ", mean.size(),
          " values but normalizer.std ", std.size());
  require(!mean.empty(), "could not read the normalizer because normalizer.mean is empty");
  return make_normalizer(mean.data(), std.data(), static_cast<int64_t>(mean.size()), dim);
}

void apply_normalizer(const Normalizer& n, const float* in, float* out, int64_t count, int64_t dim) {
  const int64_t groups = n.groups();
  for (int64_t r = 0; r < count; ++r) {
    const float* x = in + r * dim;
    float* y = out + r * dim;
    for (int64_t i = 0; i < dim; ++i) {
      const int64_t g = i % groups;
      y[i] = static_cast<float>((static_cast<double>(x[i]) - n.mean[g]) / n.std[g]);
    }
  }
}

}  // namespace layerprune::io
