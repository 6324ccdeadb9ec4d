// An estimator's Monte-Carlo statistics next to the exact expectation (exact.h): the
// diagnostic behind the estimator-check command and the estimator tests.
#pragma once
#include <cstdint>
#include <vector>

#include "method/estimator.h"
#include "method/exact.h"

namespace layerprune {

struct EstimatorStats {
  std::vector<double> mean;    // per section
  std::vector<double> stddev;  // per-sample standard deviation
  std::vector<double> stderr_; // standard error of the mean
  double mean_flops = 0;        // FLOPs of the extra passes per draw (re-runs, skipped bodies)
};

// Draws `samples` gate vectors xi ~ Bernoulli(theta) and runs the estimator on each,
// on the batch already in the model's buffers (`rows` rows).
EstimatorStats sample_estimator(GatedNetwork& model, ThetaEstimator& estimator, int64_t rows,
                                int64_t samples, uint64_t seed);

}  // namespace layerprune
