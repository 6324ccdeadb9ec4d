// A labelled data set in host memory: normalised features (count, dim) and labels.
#pragma once
#include <cstdint>
#include <vector>

namespace layerprune {

struct Dataset {
  int64_t count = 0;
  int64_t dim = 0;
  int32_t classes = 0;
  std::vector<float> features;  // (count, dim)
  std::vector<int32_t> labels;  // (count)
};

// Validates and copies; throws Error naming the first bad value.
Dataset* make_dataset(const float* features, const int32_t* labels, int64_t count, int64_t dim,
                      int32_t classes);

}  // namespace layerprune
