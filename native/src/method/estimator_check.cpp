#include "method/estimator_check.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace layerprune {

EstimatorStats sample_estimator(GatedNetwork& model, ThetaEstimator& estimator, int64_t rows,
                                int64_t samples, uint64_t seed) {
  require(samples >= 2, "could not sample the estimator because samples must be >= 2, got ", samples);
  const int32_t L = model.sections();
  Rng rng(seed);
  std::vector<float> gates(L);
  std::vector<double> grad(L), sum(L, 0.0), sum2(L, 0.0), directional(L, 0.0);
  const auto need = estimator.directional_need();
  double flops = 0.0;
  for (int64_t s = 0; s < samples; ++s) {
    for (int32_t l = 0; l < L; ++l)
      gates[l] = !model.gate(l).pruned && rng.bernoulli(model.gate(l).theta) ? 1.f : 0.f;
    model.forward(rows, gates, GatedNetwork::kProbe);
    const double loss = model.loss(rows, need != GatedNetwork::kNoDirectional, nullptr);
    if (need != GatedNetwork::kNoDirectional) flops += model.backward(rows, gates, need, &directional);
    EstimatorContext ctx{model, gates, rows, loss, rng, &directional};
    flops += estimator.estimate(ctx, grad);
    for (int32_t l = 0; l < L; ++l) {
      sum[l] += grad[l];
      sum2[l] += grad[l] * grad[l];
    }
  }
  EstimatorStats out;
  out.mean_flops = flops / double(samples);
  for (int32_t l = 0; l < L; ++l) {
    const double mean = sum[l] / double(samples);
    const double var = std::max(0.0, (sum2[l] - double(samples) * mean * mean) / double(samples - 1));
    out.mean.push_back(mean);
    out.stddev.push_back(std::sqrt(var));
    out.stderr_.push_back(std::sqrt(var / double(samples)));
  }
  return out;
}

}  // namespace layerprune
