// Runs an ExportGraph for inference on a Backend: the weights are uploaded once, the
// activations live in a few workspace slots reused as soon as a value is dead (planned
// once from the graph), and nothing is allocated per batch once the capacity is set.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "export/export_graph.h"
#include "layerprune/types.h"
#include "model/dataset.h"
#include "model/device_buffer.h"

namespace layerprune {

class ExportedNetwork {
 public:
  ExportedNetwork(ExportGraph graph, std::unique_ptr<Backend> backend);

  const ExportGraph& graph() const { return graph_; }
  Backend& backend() { return *backend_; }
  int64_t input_size() const { return graph_.input_size(); }
  int32_t classes() const { return graph_.classes; }

  void ensure_capacity(int64_t rows);
  int64_t capacity() const { return capacity_; }
  float* input_buffer() { return slots_[0].data(); }
  // Logits (rows, classes) of the rows in input_buffer(), in backend memory.
  const float* forward(int64_t rows);

  // Host in, host out, in chunks of the workspace.
  void predict(const float* features, int64_t count, float* logits);
  EvalStats evaluate(const Dataset& data);
  int64_t native_bytes() const { return memory_.bytes; }

 private:
  void plan_slots();

  ExportGraph graph_;
  std::unique_ptr<Backend> backend_;
  MemoryTracker memory_;
  std::vector<DeviceBuffer> weights_;  // one per graph tensor
  std::vector<int32_t> slot_of_;       // workspace slot of each value (slot 0 holds the input)
  int32_t slot_count_ = 0;
  int64_t capacity_ = 0;
  std::vector<DeviceBuffer> slots_;    // (capacity, max_activation) each
  DeviceArray<int32_t> argmax_;        // max pooling's scratch
  DeviceArray<int32_t> labels_;
};

}  // namespace layerprune
