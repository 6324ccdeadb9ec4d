// A convolutional residual network with gated W-B-a-W sections (ALGORITHM.md 1):
//   z_0     = relu(BN(conv3x3(x)))                                       stem
//   z_{l+1} = h( S_l(z_l) + xi_l * conv2(relu(BN(conv1(z_l)))) )           section
//   logits  = W_h avgpool(z_L) + b_h                                     head
// S_l is the identity, or a 1x1 strided projection when the shape changes; h is the
// identity or ReLU (post-activation). Activations NHWC, filters (K, C, R, S).
// Everything is allocated up front (or when the batch capacity grows); a pruned
// section's buffers are freed. BN running statistics move only on training passes
// of sections that ran.
#pragma once
#include <memory>
#include <vector>

#include "core/rng.h"
#include "legacy/conv_architecture.h"
#include "model/device_buffer.h"
#include "model/gated_network.h"

namespace layerprune::legacy {

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
};

struct BatchNorm {
  int64_t channels = 0;
  Param gamma, beta;
  DeviceBuffer running_mean, running_var;
  DeviceBuffer mean, var;  // batch statistics of the last training forward
};

// An ungated conv3x3-BN-ReLU that changes the channel count (VGG stages).
struct Transition {
  ConvOp d{};
  Param conv;
  BatchNorm bn;
  DeviceBuffer a, out;  // (capacity, h, w, out_c): pre-BN and output
};

struct Pool {
  ConvOp d{};
  DeviceBuffer out;              // (capacity, out_h, out_w, c)
  DeviceArray<int32_t> argmax;   // same size
};

struct ConvSection : GateState {
  int32_t index = 0;
  ConvNetArchitecture::SectionDims d{};
  Param conv1, conv2, proj;  // proj only with a projection skip
  BatchNorm bn;
  // Training activations: a1 = conv1(z) (pre-BN), r = relu(BN(a1)), body = conv2(r)
  // (plain sections: body = r), output = z_{l+1} (when not an alias of z_l). Each
  // (capacity, out_h, out_w, out_c).
  DeviceBuffer a1, r, body, output;
};

class ResidualConvNet final : public GatedNetwork {
 public:
  ResidualConvNet(std::unique_ptr<Backend> backend, const ConvNetArchitecture& arch, uint64_t seed);

  const ConvNetArchitecture& architecture() const { return arch_; }
  ConvSection& section(int32_t l) { return sections_[l]; }
  const ConvSection& section(int32_t l) const { return sections_[l]; }
  // The ungated layers (export reads the weights).
  const Param& stem_filter() const { return stem_conv; }
  const BatchNorm& stem_batchnorm() const { return stem_bn; }
  const Transition& transition(int32_t i) const { return transitions_[i]; }
  const Param& head_weights() const { return head_w; }
  const Param& head_bias() const { return head_b; }
  static constexpr float kBatchNormEps = 1e-5f;  // the eps of every BN (inference folds it)
  // Host copy of a buffer (tests).
  std::vector<float> download(const DeviceBuffer& buffer) {
    std::vector<float> host(static_cast<size_t>(buffer.size()));
    backend_->to_host(host.data(), buffer.data(), sizeof(float) * host.size());
    return host;
  }

  Backend& backend() override { return *backend_; }
  int32_t sections() const override { return static_cast<int32_t>(sections_.size()); }
  GateState& gate(int32_t l) override { return sections_[l]; }
  const GateState& gate(int32_t l) const override { return sections_[l]; }
  SectionShape section_shape(int32_t l) const override;
  int64_t input_size() const override { return arch_.input_size(); }
  bool image_shape(int64_t* channels, int64_t* height, int64_t* width) const override {
    *channels = arch_.in_channels, *height = arch_.height, *width = arch_.width;
    return true;
  }
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
  int64_t section_weights(int32_t l) const override { return section_weights_[l]; }
  double section_weight_norm2(int32_t l) override;
  void prune(int32_t l, int64_t step) override;
  const std::vector<ParamRef>& params() const override { return param_refs_; }
  int64_t param_count() const override;
  double forward_flops(const std::vector<float>& gates, int32_t first = 0) const override;
  int64_t native_bytes() const override { return memory_.bytes; }
  std::vector<StateTensor> state_tensors() override;

 private:
  struct Scratch {  // buffers a section forward writes into
    float *a1, *r, *body, *out, *mean, *var;
  };
  void init_filter(Param& p, int64_t n, double stddev, Rng& rng);
  ConvGeometry stem_geometry(int64_t N) const;
  void init_bn(BatchNorm& bn, int64_t channels);
  void bn_relu_forward(BatchNorm& bn, const float* a, float* r, float* mean, float* var, int64_t rows, Pass pass);
  const float* section_forward(ConvSection& s, const float* z, int64_t N, float gate, Pass pass, const Scratch& out);
  // Runs ops_[first..] from z on the given buffers; returns z_L. `keep` stores each
  // op's input for backward (training pass).
  const float* run_ops(size_t first, const float* z, int64_t N, const std::vector<float>& gates, Pass pass,
                       bool keep, int32_t override_section, float override_gate);
  void head_forward(const float* z, int64_t N, float* pooled, float* logits);
  void rebuild_param_refs();

  std::unique_ptr<Backend> backend_;
  MemoryTracker memory_;
  ConvNetArchitecture arch_;
  std::vector<ConvSection> sections_;
  std::vector<Transition> transitions_;
  std::vector<Pool> pools_;
  std::vector<ConvOp> ops_;             // the plan after the stem
  std::vector<size_t> op_of_section_;   // index into ops_ of each section
  std::vector<const float*> op_in_;     // input of each op in the last kept forward
  std::vector<double> transition_flops_;
  Param stem_conv;
  BatchNorm stem_bn;
  Param head_w, head_b;
  int64_t last_channels_ = 0, last_spatial_ = 0;
  std::vector<int64_t> section_weights_;
  std::vector<double> body_flops_, skip_flops_;
  double stem_flops_ = 0, head_flops_ = 0;
  std::vector<ParamRef> param_refs_;

  int64_t capacity_ = 0;
  int64_t max_activation_ = 0;  // largest per-sample activation (floats)
  DeviceBuffer x_;
  DeviceArray<int32_t> labels_;
  DeviceBuffer stem_a_, stem_out_;           // (cap, H, W, stem_c)
  DeviceBuffer pooled_, logits_, dlogits_;   // (cap, C_last), (cap, classes)
  DeviceBuffer grad_a_, grad_b_, grad_h_, grad_bn_;  // (cap, max_activation)
  DeviceBuffer s_a1_, s_r_, s_body_, s_ping_, s_pong_, s_pooled_, s_logits_, s_mean_, s_var_;
  DeviceArray<int32_t> s_argmax_;
  std::vector<const float*> z_in_;
};

}  // namespace layerprune::legacy
