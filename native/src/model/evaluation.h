// Evaluation of the expected or deterministic network on a data set, and inference.
#pragma once
#include <cstdint>

#include "layerprune/types.h"
#include "model/dataset.h"
#include "model/gated_network.h"

namespace layerprune {

EvalStats evaluate(GatedNetwork& model, const Dataset& data, int32_t eval_mode);
// logits (count, classes) of `count` rows of features.
void predict(GatedNetwork& model, const float* features, int64_t count, int32_t eval_mode, float* logits);

}  // namespace layerprune
