// Training defaults, one set per architecture family, and the validation of TrainConfig:
// the single source the C API, Java's TrainConfig.defaultsFor and the CLI's --help read.
#pragma once
#include <cstdint>

#include "layerprune/types.h"

namespace layerprune {

// The prior's N in every family's defaults (TrainConfig::train_size): thresholds tau_l in nats
// per sample that do not grow as the data set shrinks.
constexpr int64_t kReferenceTrainSize = 60000;

// The residual MLP's defaults (ALGORITHM.md 6, with this library's estimator and pruning rule).
TrainConfig default_train_config();
// The defaults of an ArchitectureFamily: the MLP's, with what the family changes.
TrainConfig default_train_config(int32_t family);
// Throws Error naming the first invalid field.
void validate(const TrainConfig& config);

}  // namespace layerprune
