// Training defaults, one set per architecture family, and the validation of TrainConfig:
// the single source the C API, Java's TrainConfig.defaultsFor and the CLI's --help read.
#pragma once
#include <cstdint>
#include <string>

#include "layerprune/types.h"

namespace layerprune {

// The prior's N in every family's defaults (TrainConfig::train_size): thresholds tau_l in nats
// per sample that do not grow as the data set shrinks.
constexpr int64_t kReferenceTrainSize = 60000;

// The residual MLP's defaults (ALGORITHM.md 6, with this library's estimator and pruning rule).
TrainConfig default_train_config();
// The defaults of an ArchitectureFamily: the MLP's, with what the family changes.
TrainConfig default_train_config(int32_t family);
// The first invalid field of a configuration, as "field_name must ..., got VALUE" (the field's
// name as in TrainConfig first, so callers can translate it), or "" when every field is valid.
std::string config_problem(const TrainConfig& config);
// Throws Error "invalid training configuration: " + config_problem(config) unless it is "".
void validate(const TrainConfig& config);

}  // namespace layerprune
