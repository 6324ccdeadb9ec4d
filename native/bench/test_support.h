// Synthetic inputs for the benchmarks.
#pragma once
#include <memory>
#include <vector>

#include "core/rng.h"
#include "model/dataset.h"

namespace layerprune::bench {

inline std::unique_ptr<Dataset> random_dataset(int64_t count, int64_t dim, int32_t classes, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(count * dim);
  std::vector<int32_t> y(count);
  for (float& v : x) v = float(rng.normal());
  for (int32_t& l : y) l = int32_t(rng.below(classes));
  return std::unique_ptr<Dataset>(make_dataset(x.data(), y.data(), count, dim, classes));
}

}  // namespace layerprune::bench
