// The normalizer behind a Model handle, for the C API files (api.cpp, api_checkpoint.cpp,
// api_export.cpp, api_data.cpp), and the raw-feature step of prediction.
#pragma once
#include <cstdint>
#include <vector>

#include "io/normalizer_record.h"
#include "layerprune/api.h"

namespace layerprune {

io::Normalizer& normalizer_of(Model* model);
const io::Normalizer& normalizer_of(const Model* model);

// `features` when `n` is empty, else the normalised copy written into `scratch`.
const float* normalized_features(const io::Normalizer& n, const float* features, int64_t count, int64_t dim,
                                 std::vector<float>& scratch);

}  // namespace layerprune
