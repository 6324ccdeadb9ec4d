// What the method layer (trainer, estimators, exact enumeration) and evaluation see
// of a network: gated sections with a theta each, a forward with per-section gates,
// backward, a re-run from section l for the two-point estimator, the prior's view of
// each section's weights, pruning, and the optimizer's parameter list. The dense
// residual MLP and the convolutional networks implement it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace layerprune {

// The gate of one section (ALGORITHM.md sections 1, 4, 5).
struct GateState {
  double theta = 1.0;
  bool pruned = false;
  int64_t pruned_at_step = -1;
  int32_t steps_at_zero = 0;
};

// One (parameter, momentum, gradient) triple for the optimizer.
struct ParamRef {
  float* w;
  float* v;
  float* g;
  int64_t n;
  bool decayed;               // weight decay applies (stem, head and skip weights)
  int32_t prior_section = -1; // part of section l's W_l (the prior pulls it, section_weight_norm2)
};

// A named array of the network's state for checkpoints (device memory).
struct StateTensor {
  std::string name;  // stable across runs: "stem.W", "s3.fc1.vW", "s2.bn.running_mean"
  float* data;
  int64_t count;
};

// Shape facts of a section for reports: widths (dense) or channels (conv).
struct SectionShape {
  int64_t in = 0, out = 0;
  bool has_projection = false;
};

class GatedNetwork {
 public:
  enum Directional { kNoDirectional, kRunSections, kAllLive };
  // kTraining: batch statistics, running statistics updated for the sections that
  // ran. kProbe: batch statistics, nothing updated (estimators, exact enumeration).
  // kInference: running statistics.
  enum Pass { kTraining, kProbe, kInference };

  virtual ~GatedNetwork() = default;
  virtual Backend& backend() = 0;
  virtual int32_t sections() const = 0;
  virtual GateState& gate(int32_t l) = 0;
  virtual const GateState& gate(int32_t l) const = 0;
  virtual SectionShape section_shape(int32_t l) const = 0;
  virtual int64_t input_size() const = 0;  // features per sample
  // Image models: the NHWC input shape (channels, height, width); false for dense input.
  virtual bool image_shape(int64_t* channels, int64_t* height, int64_t* width) const {
    (void)channels, (void)height, (void)width;
    return false;
  }
  virtual int32_t classes() const = 0;

  // Workspace for batches of up to `rows` samples (grows, never shrinks).
  virtual void ensure_capacity(int64_t rows) = 0;
  virtual int64_t capacity() const = 0;
  virtual float* input_buffer() = 0;    // (capacity, input_size)
  virtual int32_t* label_buffer() = 0;  // (capacity)

  // Forward with per-section gates (0 skips the body, pruned sections are skipped).
  virtual const float* forward(int64_t rows, const std::vector<float>& gates, Pass pass) = 0;
  // Mean loss of the last forward's logits; writes dlogits for backward when asked.
  virtual double loss(int64_t rows, bool with_gradient, int64_t* correct) = 0;
  // Backward of the last (training) forward; gates 0 or 1. Sections that did not run
  // get zero body gradients. With `want`, directional[l] = <dL/d zbar_l, B_l(z_l)>;
  // returns the FLOPs (per batch) of the extra body forwards that needed.
  virtual double backward(int64_t rows, const std::vector<float>& gates, Directional want,
                          std::vector<double>* directional) = 0;
  void backward(int64_t rows, const std::vector<float>& gates) { backward(rows, gates, kNoDirectional, nullptr); }
  // Loss of the last forward's batch with section `from` at `gate_from` and the later
  // sections at `gates`, on scratch buffers (no stored activation or statistic changes).
  virtual double rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) = 0;

  // The prior's view of section l: n_l and ||W_l||^2. Its pull on W_l is applied by the
  // optimizer to the params() whose prior_section is l.
  virtual int64_t section_weights(int32_t l) const = 0;
  virtual double section_weight_norm2(int32_t l) = 0;
  // E||W_l||^2 of the initialisation (the draw's expectation, not the draw): a constant of the
  // architecture, read by the prior under PRIOR_NORM_INITIAL.
  virtual double section_initial_norm2(int32_t l) const;

  // Frees the section's body (parameters, gradients, momentum, activations).
  virtual void prune(int32_t l, int64_t step) = 0;
  virtual const std::vector<ParamRef>& params() const = 0;
  virtual int64_t param_count() const = 0;
  // Forward FLOPs per sample from section `first` to the head, bodies weighted by
  // gates[l]; first == 0 includes the stem.
  virtual double forward_flops(const std::vector<float>& gates, int32_t first = 0) const = 0;
  virtual int64_t native_bytes() const = 0;
  // Serialization hook (checkpoints): every array a resumed run needs, for the parts
  // that exist now (pruned sections have none): weights, momentum, BN running
  // statistics. Gradients and activations are not state: each step overwrites them.
  virtual std::vector<StateTensor> state_tensors() = 0;

  // Shared behaviour --------------------------------------------------------------
  int32_t live_sections() const;
  std::vector<bool> live_mask() const;
  // Per-section gates of an evaluation mode: theta (expected) or [theta >= 0.5].
  void eval_gates(int32_t eval_mode, std::vector<float>& gates) const;
  // End of training (ALGORITHM.md 5): theta >= 0.5 keeps xi = 1, the rest are pruned.
  void determinize(int64_t step);
};

}  // namespace layerprune
