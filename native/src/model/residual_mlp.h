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
#include "model/architecture.h"
#include "model/device_buffer.h"

namespace layerprune {

struct Linear {
  int64_t in = 0, out = 0;
  DeviceBuffer W, b;    // (out,in), (out) or empty b: the parameters
  DeviceBuffer dW, db;  // gradients
  DeviceBuffer vW, vb;  // momentum
};

struct Section {
  int32_t index = 0;
  int64_t in = 0, out = 0;
  Linear fc1, fc2;  // the prunable body B_l
  Linear proj;      // the skip S_l when in != out (W only)
  double theta = 1.0;
  bool pruned = false;
  int64_t pruned_at_step = -1;
  int32_t steps_at_zero = 0;
  // Training activations (capacity, out): relu(W1 z + b1), the body output B_l(z),
  // and z_{l+1} when it is not an alias of z_l.
  DeviceBuffer hidden, body, output;
};

// One (parameter, momentum, gradient) triple for the optimizer.
struct ParamRef {
  float* w;
  float* v;
  float* g;
  int64_t n;
  bool decayed;  // weight decay applies (stem, head and skip matrices)
};

class ResidualMlp {
 public:
  ResidualMlp(std::unique_ptr<Backend> backend, const MlpArchitecture& arch, uint64_t seed);

  Backend& backend() { return *backend_; }
  const MlpArchitecture& architecture() const { return arch_; }
  int32_t sections() const { return arch_.sections(); }
  Section& section(int32_t l) { return sections_[l]; }
  const Section& section(int32_t l) const { return sections_[l]; }
  int32_t live_sections() const;
  std::vector<bool> live_mask() const;
  int64_t native_bytes() const { return memory_.bytes; }

  // Workspace for batches of up to `rows` samples (grows, never shrinks).
  void ensure_capacity(int64_t rows);
  int64_t capacity() const { return capacity_; }

  // Device buffers the caller fills before forward: x (capacity, input), labels.
  float* input_buffer() { return x_.data(); }
  int32_t* label_buffer() { return labels_.data(); }

  // Forward pass on the first `rows` of the input buffer with per-section gates
  // (0 skips the body; pruned sections are skipped whatever the gate). Keeps the
  // activations for backward. Returns the logits (rows, classes).
  const float* forward(int64_t rows, const std::vector<float>& gates);
  // Mean loss of the last forward's logits; writes dlogits for backward when asked.
  double loss(int64_t rows, bool with_gradient, int64_t* correct);
  // Backward of the last forward (gates must be 0 or 1): fills every live gradient;
  // skipped sections get zero body gradients.
  void backward(int64_t rows, const std::vector<float>& gates) { backward(rows, gates, kNoDirectional, nullptr); }
  // The same, also writing directional[l] = <dL/d zbar_l, B_l(z_l)> (the derivative of
  // the batch loss with respect to xi_l at the sampled gates, ALGORITHM 3.3) for the
  // sections that ran, and with kAllLive also for live sections that were skipped
  // (their body is computed on scratch buffers). Returns the FLOPs of those extra
  // body forwards per batch.
  enum Directional { kNoDirectional, kRunSections, kAllLive };
  double backward(int64_t rows, const std::vector<float>& gates, Directional want,
                  std::vector<double>* directional);
  // Loss of the last forward's batch when section `from` takes gate `gate_from` and
  // the later sections keep `gates`: re-runs sections from..L-1 and the head on
  // scratch buffers, leaving the stored activations intact (two-point estimator).
  double rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from);

  // Frees the section's body and everything that belongs to it.
  void prune(int32_t l, int64_t step);
  // End of training (ALGORITHM.md 5): theta >= 0.5 keeps xi = 1, the rest are pruned.
  void determinize(int64_t step);
  // Per-section gates of an evaluation mode: theta (expected) or [theta >= 0.5].
  void eval_gates(int32_t eval_mode, std::vector<float>& gates) const;
  // ||W1||^2 + ||W2||^2 of a live section (0 when pruned).
  double section_weight_norm2(int32_t l);
  // Every live parameter with its gradient and momentum, for the optimizer.
  const std::vector<ParamRef>& params() const { return param_refs_; }
  int64_t param_count() const;

  // Host copies (tests, reports): a parameter's values.
  std::vector<float> download(const DeviceBuffer& buffer);

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

}  // namespace layerprune
