// A residual MLP with gated sections (ALGORITHM.md section 1):
//   z_0     = relu(W_s x + b_s)                              stem
//   z_{l+1} = S_l(z_l) + xi_l * (W2 relu(W1 z_l + b1) + b2)   gated section, h = identity
//   logits  = W_h z_L + b_h                                  head
// S_l is the identity when widths match, else a learned projection (no bias).
//
// The model owns weights, gradients, momentum and a workspace sized for a batch
// capacity; everything is allocated up front (or when capacity grows), never in a
// training step. A pruned section's buffers are freed and it costs nothing after.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "core/rng.h"
#include "legacy/architecture.h"
#include "model/device_buffer.h"
#include "model/gated_network.h"

namespace layerprune::legacy {

struct Linear {
  int64_t in = 0, out = 0;
  DeviceBuffer W, b;    // (out,in), (out) or empty b: the parameters
  DeviceBuffer dW, db;  // gradients
  DeviceBuffer vW, vb;  // momentum
};

struct Section : GateState {
  int32_t index = 0;
  int64_t in = 0, out = 0;
  Linear fc1, fc2;  // the prunable body B_l
  Linear proj;      // the skip S_l when in != out (W only)
  // Training activations (capacity, out): relu(W1 z + b1), the body output B_l(z),
  // and z_{l+1} when it is not an alias of z_l.
  DeviceBuffer hidden, body, output;
};

class ResidualMlp final : public GatedNetwork {
 public:
  ResidualMlp(std::unique_ptr<Backend> backend, const MlpArchitecture& arch, uint64_t seed);

  const MlpArchitecture& architecture() const { return arch_; }
  Section& section(int32_t l) { return sections_[l]; }
  const Section& section(int32_t l) const { return sections_[l]; }
  // The ungated layers (export reads the weights).
  const Linear& stem() const { return stem_; }
  const Linear& head() const { return head_; }
  // Host copy of a buffer (tests, reports).
  std::vector<float> download(const DeviceBuffer& buffer);

  // GatedNetwork ---------------------------------------------------------------------
  Backend& backend() override { return *backend_; }
  int32_t sections() const override { return arch_.sections(); }
  GateState& gate(int32_t l) override { return sections_[l]; }
  const GateState& gate(int32_t l) const override { return sections_[l]; }
  SectionShape section_shape(int32_t l) const override;
  int64_t input_size() const override { return arch_.input; }
  int32_t classes() const override { return arch_.classes; }
  void ensure_capacity(int64_t rows) override;
  int64_t capacity() const override { return capacity_; }
  float* input_buffer() override { return x_.data(); }
  int32_t* label_buffer() override { return labels_.data(); }
  const float* forward(int64_t rows, const std::vector<float>& gates, Pass pass = kTraining) override;
  double loss(int64_t rows, bool with_gradient, int64_t* correct) override;
  using GatedNetwork::backward;
  double backward(int64_t rows, const std::vector<float>& gates, Directional want,
                  std::vector<double>* directional) override;
  double rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) override;
  int64_t section_weights(int32_t l) const override;
  double section_weight_norm2(int32_t l) override;
  void prune(int32_t l, int64_t step) override;
  const std::vector<ParamRef>& params() const override { return param_refs_; }
  int64_t param_count() const override;
  double forward_flops(const std::vector<float>& gates, int32_t first = 0) const override;
  int64_t native_bytes() const override { return memory_.bytes; }
  std::vector<StateTensor> state_tensors() override;

 private:
  void init_linear(Linear& layer, int64_t in, int64_t out, bool bias, double stddev, Rng& rng);
  // out = S(z) + gate * B(z); returns the result, which is z itself for an identity
  // skip with gate 0.
  const float* section_forward(Section& s, const float* z, int64_t rows, float gate, float* hidden,
                               float* body, float* out);
  const float* head_forward(const float* z, int64_t rows, float* logits);
  void rebuild_param_refs();

  std::unique_ptr<Backend> backend_;
  MemoryTracker memory_;
  MlpArchitecture arch_;
  Linear stem_, head_;
  std::vector<Section> sections_;
  std::vector<ParamRef> param_refs_;

  int64_t capacity_ = 0;
  DeviceBuffer x_;                 // (capacity, input)
  DeviceArray<int32_t> labels_;    // (capacity)
  DeviceBuffer stem_out_;          // z_0 (capacity, stem_width)
  DeviceBuffer logits_, dlogits_;  // (capacity, classes)
  DeviceBuffer grad_a_, grad_b_;   // dz ping-pong (capacity, max_width)
  DeviceBuffer grad_hidden_;       // dL/d hidden (capacity, max_width)
  DeviceBuffer scratch_hidden_, scratch_body_, scratch_a_, scratch_b_;  // re-runs
  DeviceBuffer scratch_logits_;
  std::vector<const float*> z_in_;  // z_l of the last forward, per section; z_in_[L] = z_L
};

}  // namespace layerprune::legacy
