// Checkpoint records of a network and of a training configuration. The network side
// walks GatedNetwork's serialization hook (state_tensors) and its gates, so it serves
// every architecture without reaching into one.
#pragma once
#include <functional>
#include <string>

#include "io/binary_container.h"
#include "layerprune/types.h"
#include "model/gated_network.h"

namespace layerprune::io {

// Gates (theta, pruned, pruned_at_step, steps_at_zero per section) and every state
// tensor ("w/<name>" records, host copies of device memory).
void save_network_state(GatedNetwork& net, Container& out);
// Into a freshly built network of the same architecture: prunes the sections that
// were pruned, sets the gates, loads every tensor. Raises Error naming a missing or
// mis-sized record (a checkpoint of another architecture).
// `record_name` maps a tensor's name to its record's (files of another naming, e.g. before the
// architecture description); null: the name itself.
void restore_network_state(GatedNetwork& net, const Container& in,
                           const std::function<std::string(const std::string&)>& record_name = nullptr);
// The gates alone (a new TrainingSession resets theta to theta0; this undoes that).
void restore_gate_states(GatedNetwork& net, const Container& in);

void save_train_config(const TrainConfig& config, Container& out);
TrainConfig load_train_config(const Container& in);

}  // namespace layerprune::io
