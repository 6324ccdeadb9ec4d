// The feature normalisation a model carries from its training data to prediction, and its
// records in checkpoints ("LPCKPT01") and exported networks ("LPEXPORT"):
//   normalizer.mean f64[G], normalizer.std f64[G]
// x'_i = (x_i - mean[i % G]) / std[i % G] for feature i of a sample: G = features per sample is a
// per-feature normalisation, G = channels a per-channel one of NHWC images, G = 1 one global
// pair. Files without the records (older ones, models trained on data normalised by hand) carry
// no normalisation: the features are used as given.
#pragma once
#include <cstdint>
#include <vector>

#include "io/binary_container.h"

namespace layerprune::io {

struct Normalizer {
  std::vector<double> mean;
  std::vector<double> std;  // every entry finite and > 0

  bool empty() const { return mean.empty(); }
  int64_t groups() const { return static_cast<int64_t>(mean.size()); }
};

// A validated normalizer of `groups` pairs for samples of `dim` features (groups = 0: none).
// Raises Error naming the problem: a length that does not divide dim, a non-finite mean, a
// standard deviation that is not finite and > 0.
Normalizer make_normalizer(const double* mean, const double* std, int64_t groups, int64_t dim);

// Writes the records (nothing for an empty normalizer).
void put_normalizer(const Normalizer& n, Container& out);
// The records of `in`, validated against `dim` features per sample; empty without them.
Normalizer get_normalizer(const Container& in, int64_t dim);

// out[r * dim + i] = (in[r * dim + i] - mean[i % G]) / std[i % G] for count samples; in and out
// may be the same buffer. Computed in double, rounded once to float.
void apply_normalizer(const Normalizer& n, const float* in, float* out, int64_t count, int64_t dim);

}  // namespace layerprune::io
