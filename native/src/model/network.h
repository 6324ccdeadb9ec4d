// The gated network (ALGORITHM.md section 1): one implementation of GatedNetwork for every
// architecture, walking the plan of its description (model/architecture.h):
//
//   z_0     = stem(x)                                  (dense or conv; BN, ReLU, max pool)
//   z_{l+1} = h( S_l(z_l) + xi_l * B_l(z_l) )          gated section, h = identity or ReLU
//             with ungated transitions, max pools and flattens between stages
//   logits  = W_h avgpool(z_L) + b_h                   (no pooling when z_L is not spatial)
//
// B_l is a chain of layers (dense + bias, or conv without bias, each optionally followed by
// BN and ReLU): W-a-W, W-B-a-W, the bottleneck, conv-BN-ReLU. S_l is the identity or a linear
// projection (a dense matrix, or a 1x1 strided conv). Activations NHWC, filters (K, C, R, S).
//
// Everything is allocated up front (or when the batch capacity grows), never in a training
// step; a pruned section's buffers are freed and it costs nothing after. A section that does
// not run with an identity skip makes z_{l+1} an alias of z_l. BN running statistics move only
// on training passes of layers that ran.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "model/architecture.h"
#include "model/device_buffer.h"
#include "model/gated_network.h"

namespace layerprune {

// A trainable tensor with its gradient and momentum.
struct Param {
  DeviceBuffer w, g, v;
  void allocate(Backend& be, MemoryTracker& mem, int64_t n) {
    w = DeviceBuffer(be, mem, n);
    g = DeviceBuffer(be, mem, n);
    v = DeviceBuffer(be, mem, n);
  }
  void reset() {
    w.reset();
    g.reset();
    v.reset();
  }
  explicit operator bool() const { return static_cast<bool>(w); }
};

struct BatchNorm {
  int64_t channels = 0;
  Param gamma, beta;
  DeviceBuffer running_mean, running_var;
  DeviceBuffer mean, var;  // batch statistics of the last training forward
  static constexpr float kEps = 1e-5f;  // the eps of every BN (export folds it)
  static constexpr float kMomentum = 0.1f;
};

// One layer of the plan with its parameters and training activations.
struct Layer {
  const LayerPlan* plan = nullptr;
  Param weight, bias;  // bias: dense layers
  BatchNorm bn;        // BN layers
  // Training activations (capacity x out): pre = the linear map's output before BN (BN layers),
  // out = the layer's output.
  DeviceBuffer pre, out;
};

struct Section : GateState {
  int32_t index = 0;
  const PlanOp* op = nullptr;
  std::vector<Layer> body;  // B_l
  Layer skip;               // the projection (weight only), when op->projection
  DeviceBuffer output;      // z_{l+1} of the training forward, when not an alias of z_l
};

class Network final : public GatedNetwork {
 public:
  Network(std::unique_ptr<Backend> backend, const Architecture& arch, uint64_t seed);

  const Architecture& architecture() const { return arch_; }
  const Plan& plan() const { return plan_; }
  Section& section(int32_t l) { return sections_[l]; }
  const Section& section(int32_t l) const { return sections_[l]; }
  // The ungated layers: 0 is the stem, i > 0 the transition i - 1 (export reads the weights).
  const Layer& layer(int32_t i) const { return layers_[i]; }
  const Layer& head() const { return head_; }
  // Host copy of a buffer (tests, export).
  std::vector<float> download(const DeviceBuffer& buffer);

  // GatedNetwork ---------------------------------------------------------------------
  Backend& backend() override { return *backend_; }
  int32_t sections() const override { return static_cast<int32_t>(sections_.size()); }
  GateState& gate(int32_t l) override { return sections_[l]; }
  const GateState& gate(int32_t l) const override { return sections_[l]; }
  SectionShape section_shape(int32_t l) const override;
  int64_t input_size() const override { return plan_.input.size(); }
  bool image_shape(int64_t* channels, int64_t* height, int64_t* width) const override;
  int32_t classes() const override { return arch_.classes; }
  // Sizes the per-batch buffers for `rows` (growing only); refuses with the numbers, before
  // allocating, a batch whose buffers exceed the backend's available memory.
  void ensure_capacity(int64_t rows) override;
  int64_t capacity() const override { return capacity_; }
  // Bytes of the per-batch buffers (activations, gradients, scratch) of a batch of `rows`.
  int64_t batch_bytes(int64_t rows);
  float* input_buffer() override { return x_.data(); }
  int32_t* label_buffer() override { return labels_.data(); }
  const float* forward(int64_t rows, const std::vector<float>& gates, Pass pass = kTraining) override;
  double loss(int64_t rows, bool with_gradient, int64_t* correct) override;
  using GatedNetwork::backward;
  double backward(int64_t rows, const std::vector<float>& gates, Directional want,
                  std::vector<double>* directional) override;
  double rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) override;
  int64_t section_weights(int32_t l) const override { return section_weights_[l]; }
  double section_weight_norm2(int32_t l) override;
  double section_initial_norm2(int32_t l) const override { return initial_norm2_[l]; }
  void prune(int32_t l, int64_t step) override;
  const std::vector<ParamRef>& params() const override { return param_refs_; }
  int64_t param_count() const override;
  double forward_flops(const std::vector<float>& gates, int32_t first = 0) const override;
  int64_t native_bytes() const override { return memory_.bytes; }
  std::vector<StateTensor> state_tensors() override;

 private:
  // Where a layer forward writes: the layer's own buffers (training forward) or scratch.
  struct Out {
    float *pre, *out, *mean, *var;
  };
  void init_layer(Layer& layer, const LayerPlan& plan, double stddev, Rng& rng);
  void init_weights(Param& p, int64_t n, double stddev, Rng& rng);
  void layer_forward(Layer& layer, const float* x, int64_t N, Pass pass, const Out& out);
  // d out (in place through ReLU, or into grad_bn_ through BN) -> the gradient of the linear map's
  // output; returns that gradient's buffer.
  float* layer_output_gradient(Layer& layer, float* dout, int64_t N);
  // layer_output_gradient, then the weight gradients; returns the linear output's gradient.
  float* layer_backward_weights(Layer& layer, const float* x, float* dout, int64_t N);
  // Weight and data gradients from that gradient `dlin`, in one backend call.
  void layer_backward_both(Layer& layer, const float* x, const float* dlin, float* dx, int64_t N, bool accumulate);
  void layer_backward_data(const Layer& layer, const float* dlin, float* dx, int64_t N, bool accumulate);
  // out = h(S(z) + gate * B(z)); returns z itself for an identity skip with a body that does
  // not run. keep: the training forward (the section's own buffers), else scratch into `ping`.
  const float* section_forward(Section& s, const float* z, int64_t N, float gate, Pass pass, bool keep, float* ping);
  // Runs ops_[first..] from z; returns z_L. keep stores each op's input and activations for
  // backward; otherwise scratch buffers are used and nothing stored changes.
  const float* run_ops(size_t first, const float* z, int64_t N, const std::vector<float>& gates, Pass pass,
                       bool keep, int32_t override_section, float override_gate);
  void head_forward(const float* z, int64_t N, float* pooled, float* logits);
  void rebuild_param_refs();

  std::unique_ptr<Backend> backend_;
  MemoryTracker memory_;
  Architecture arch_;
  Plan plan_;
  std::vector<Layer> layers_;      // ungated layers, by plan index
  std::vector<Section> sections_;
  struct Pool {
    DeviceBuffer out;
    DeviceArray<int32_t> argmax;
  };
  std::vector<Pool> pools_;
  Layer head_;
  std::vector<const float*> op_in_;  // the input of each op in the last training forward
  const float* head_in_ = nullptr;
  std::vector<int64_t> section_weights_;
  std::vector<double> initial_norm2_;  // sum over the body's weights of their init variance
  std::vector<double> body_flops_;
  std::vector<ParamRef> param_refs_;
  bool any_bn_ = false, any_pool_ = false, deep_body_ = false;

  template <typename Op>
  void for_each_batch_buffer(int64_t rows, Op&& op);

  int64_t capacity_ = 0;
  int64_t max_activation_ = 0;  // largest per-sample value after the input (floats)
  int64_t max_channels_ = 0;    // widest BN
  DeviceBuffer x_;
  DeviceArray<int32_t> labels_;
  DeviceBuffer pooled_, logits_, dlogits_;  // (cap, head in), (cap, classes)
  // Backward: dz ping-pong, the body's gradients (d out of a layer; a second one for bodies
  // with a linear middle layer) and BN's input gradient.
  DeviceBuffer grad_a_, grad_b_, grad_h_, grad_h2_, grad_bn_;
  // Re-runs (estimators) and directional derivatives of skipped bodies: scratch.
  DeviceBuffer s_pre_, s_x_, s_y_, s_ping_, s_pong_, s_pooled_, s_logits_, s_mean_, s_var_;
  DeviceArray<int32_t> s_argmax_;
};

}  // namespace layerprune
