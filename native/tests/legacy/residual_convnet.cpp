#include "legacy/residual_convnet.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "legacy/cost.h"

namespace layerprune::legacy {

namespace {
constexpr float kBnMomentum = 0.1f;
constexpr float kBnEps = ResidualConvNet::kBatchNormEps;
}  // namespace

ResidualConvNet::ResidualConvNet(std::unique_ptr<Backend> backend, const ConvNetArchitecture& arch, uint64_t seed)
    : backend_(std::move(backend)), arch_(arch) {
  arch_.validate();
  Rng rng(seed);
  ops_ = arch_.plan();
  const auto dims = arch_.section_dims();
  const int32_t L = static_cast<int32_t>(dims.size());
  // He initialisation for filters followed by BN/ReLU; the last filter of each
  // section is scaled by 1/sqrt(L) so deep stacks start near the identity (section 1).
  const int64_t stem_kk = arch_.stem_kernel * arch_.stem_kernel;
  init_filter(stem_conv, arch_.stem_channels * arch_.in_channels * stem_kk,
              std::sqrt(2.0 / double(arch_.in_channels * stem_kk)), rng);
  init_bn(stem_bn, arch_.stem_channels);
  sections_.resize(L);
  const double last_scale = L > 0 ? 1.0 / std::sqrt(double(L)) : 1.0;
  max_activation_ = arch_.height * arch_.width * std::max(arch_.stem_channels, arch_.in_channels);
  for (int32_t l = 0; l < L; ++l) {
    ConvSection& s = sections_[l];
    s.index = l;
    s.d = dims[l];
    // Plain (VGG) sections have one filter, which is then their last one.
    const int64_t kk = s.d.kernel * s.d.kernel;
    init_filter(s.conv1, s.d.out_c * s.d.in_c * kk,
                std::sqrt(2.0 / double(s.d.in_c * kk)) * (s.d.plain ? last_scale : 1.0), rng);
    if (!s.d.plain)
      init_filter(s.conv2, s.d.out_c * s.d.out_c * kk, std::sqrt(2.0 / double(s.d.out_c * kk)) * last_scale, rng);
    init_bn(s.bn, s.d.out_c);
    if (s.d.projection()) init_filter(s.proj, s.d.out_c * s.d.in_c, std::sqrt(1.0 / double(s.d.in_c)), rng);
    max_activation_ = std::max({max_activation_, s.d.in_h * s.d.in_w * s.d.in_c, s.d.out_h * s.d.out_w * s.d.out_c});
    section_weights_.push_back(cost::section_weights(arch_, l));
    body_flops_.push_back(cost::section_body_flops(arch_, l));
    skip_flops_.push_back(cost::section_skip_flops(arch_, l));
  }
  for (const ConvOp& op : ops_) {
    if (op.kind == ConvOp::kSection) op_of_section_.push_back(&op - ops_.data());
    if (op.kind == ConvOp::kTransition) {
      Transition t;
      t.d = op;
      init_filter(t.conv, op.out_c * op.in_c * op.kernel * op.kernel,
                  std::sqrt(2.0 / double(op.in_c * op.kernel * op.kernel)), rng);
      init_bn(t.bn, op.out_c);
      transitions_.push_back(std::move(t));
      transition_flops_.push_back(cost::transition_flops(op));
    }
    if (op.kind == ConvOp::kPool) pools_.push_back(Pool{op, {}, {}});
    max_activation_ = std::max({max_activation_, op.in_h * op.in_w * op.in_c, op.out_h * op.out_w * op.out_c});
  }
  op_in_.assign(ops_.size(), nullptr);
  last_channels_ = ops_.empty() ? arch_.stem_channels : ops_.back().out_c;
  last_spatial_ = ops_.empty() ? arch_.height * arch_.width : ops_.back().out_h * ops_.back().out_w;
  init_filter(head_w, arch_.classes * last_channels_, std::sqrt(1.0 / double(last_channels_)), rng);
  head_b.allocate(*backend_, memory_, arch_.classes);
  stem_flops_ = cost::stem_flops(arch_);
  head_flops_ = cost::linear_flops(last_channels_, arch_.classes);
  z_in_.assign(L + 1, nullptr);
  rebuild_param_refs();
}

ConvGeometry ResidualConvNet::stem_geometry(int64_t N) const {
  return conv_square(N, arch_.in_channels, arch_.height, arch_.width, arch_.stem_channels, arch_.stem_kernel, 1,
                     arch_.stem_kernel / 2);
}

void ResidualConvNet::init_filter(Param& p, int64_t n, double stddev, Rng& rng) {
  p.allocate(*backend_, memory_, n);
  std::vector<float> host(static_cast<size_t>(n));
  for (float& w : host) w = static_cast<float>(rng.normal() * stddev);
  backend_->to_device(p.w.data(), host.data(), sizeof(float) * host.size());
}

void ResidualConvNet::init_bn(BatchNorm& bn, int64_t channels) {
  Backend& be = *backend_;
  bn.channels = channels;
  bn.gamma.allocate(be, memory_, channels);
  bn.beta.allocate(be, memory_, channels);
  bn.running_mean = DeviceBuffer(be, memory_, channels);
  bn.running_var = DeviceBuffer(be, memory_, channels);
  bn.mean = DeviceBuffer(be, memory_, channels);
  bn.var = DeviceBuffer(be, memory_, channels);
  be.fill(bn.gamma.w.data(), 1.f, channels);
  be.fill(bn.running_var.data(), 1.f, channels);
}

SectionShape ResidualConvNet::section_shape(int32_t l) const {
  const auto& d = sections_[l].d;
  return {d.in_c, d.out_c, d.projection()};
}

void ResidualConvNet::ensure_capacity(int64_t rows) {
  require(rows > 0, "could not size the workspace because the batch has ", rows, " rows");
  if (rows <= capacity_) return;
  Backend& be = *backend_;
  const int64_t stem = rows * arch_.height * arch_.width * arch_.stem_channels;
  int64_t max_c = std::max(arch_.stem_channels, last_channels_);
  for (const auto& s : sections_) max_c = std::max(max_c, s.d.out_c);
  x_ = DeviceBuffer(be, memory_, rows * arch_.input_size());
  labels_ = DeviceArray<int32_t>(be, memory_, rows);
  stem_a_ = DeviceBuffer(be, memory_, stem);
  stem_out_ = DeviceBuffer(be, memory_, stem);
  pooled_ = DeviceBuffer(be, memory_, rows * last_channels_);
  s_pooled_ = DeviceBuffer(be, memory_, rows * last_channels_);
  logits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  dlogits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  s_logits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  s_mean_ = DeviceBuffer(be, memory_, max_c);
  s_var_ = DeviceBuffer(be, memory_, max_c);
  for (DeviceBuffer* b : {&grad_a_, &grad_b_, &grad_h_, &grad_bn_, &s_a1_, &s_r_, &s_body_, &s_ping_, &s_pong_})
    *b = DeviceBuffer(be, memory_, rows * max_activation_);
  s_argmax_ = DeviceArray<int32_t>(be, memory_, rows * max_activation_);
  for (Transition& t : transitions_) {
    t.a = DeviceBuffer(be, memory_, rows * t.d.out_h * t.d.out_w * t.d.out_c);
    t.out = DeviceBuffer(be, memory_, rows * t.d.out_h * t.d.out_w * t.d.out_c);
  }
  for (Pool& p : pools_) {
    p.out = DeviceBuffer(be, memory_, rows * p.d.out_h * p.d.out_w * p.d.out_c);
    p.argmax = DeviceArray<int32_t>(be, memory_, rows * p.d.out_h * p.d.out_w * p.d.out_c);
  }
  for (ConvSection& s : sections_) {
    const int64_t n = rows * s.d.out_h * s.d.out_w * s.d.out_c;
    if (!s.pruned) {
      s.a1 = DeviceBuffer(be, memory_, n);
      s.r = DeviceBuffer(be, memory_, n);
      if (!s.d.plain) s.body = DeviceBuffer(be, memory_, n);
    }
    if (!s.pruned || s.proj.w) s.output = DeviceBuffer(be, memory_, n);
  }
  capacity_ = rows;
}

void ResidualConvNet::bn_relu_forward(BatchNorm& bn, const float* a, float* r, float* mean, float* var,
                                      int64_t rows, Pass pass) {
  // Running statistics are read at inference and moved only by training passes.
  float* running_mean = pass == kProbe ? nullptr : bn.running_mean.data();
  float* running_var = pass == kProbe ? nullptr : bn.running_var.data();
  backend_->batchnorm_forward(a, r, rows, bn.channels, bn.gamma.w.data(), bn.beta.w.data(), mean, var,
                              running_mean, running_var, kBnMomentum, pass != kInference, kBnEps, false);
  backend_->relu_forward(r, r, rows * bn.channels);
}

const float* ResidualConvNet::section_forward(ConvSection& s, const float* z, int64_t N, float gate, Pass pass,
                                              const Scratch& out) {
  Backend& be = *backend_;
  const auto& d = s.d;
  const bool runs = gate != 0.f && !s.pruned;
  if (!runs && !s.proj.w) return z;  // identity skip (z >= 0 when h = ReLU, so h(z) = z)
  const int64_t rows_out = N * d.out_h * d.out_w, n_out = rows_out * d.out_c;
  if (s.proj.w) be.conv_forward(conv1x1(N, d.in_c, d.in_h, d.in_w, d.out_c, d.stride), z, s.proj.w.data(), out.out);
  if (runs) {
    be.conv_forward(conv_square(N, d.in_c, d.in_h, d.in_w, d.out_c, d.kernel, d.stride, d.pad), z, s.conv1.w.data(),
                    out.a1);
    bn_relu_forward(s.bn, out.a1, out.r, out.mean, out.var, rows_out, pass);
    const float* body = out.r;  // plain section: B(z) = relu(BN(conv1(z)))
    if (!d.plain) {
      be.conv_forward(conv_square(N, d.out_c, d.out_h, d.out_w, d.out_c, d.kernel, 1, d.pad), out.r,
                      s.conv2.w.data(), out.body);
      body = out.body;
    }
    if (s.proj.w)
      be.axpy(gate, body, out.out, n_out);
    else
      be.add_scaled(z, gate, body, out.out, n_out, false);
  }
  if (arch_.post_activation) be.relu_forward(out.out, out.out, n_out);
  return out.out;
}

const float* ResidualConvNet::forward(int64_t rows, const std::vector<float>& gates, Pass pass) {
  require(rows > 0 && rows <= capacity_, "could not run the forward pass because the batch has ", rows,
          " rows and the workspace holds ", capacity_);
  Backend& be = *backend_;
  be.conv_forward(stem_geometry(rows), x_.data(), stem_conv.w.data(), stem_a_.data());
  bn_relu_forward(stem_bn, stem_a_.data(), stem_out_.data(), stem_bn.mean.data(), stem_bn.var.data(),
                  rows * arch_.height * arch_.width, pass);
  const float* z = run_ops(0, stem_out_.data(), rows, gates, pass, true, -1, 0.f);
  z_in_[sections_.size()] = z;
  head_forward(z, rows, pooled_.data(), logits_.data());
  return logits_.data();
}

const float* ResidualConvNet::run_ops(size_t first, const float* z, int64_t N, const std::vector<float>& gates,
                                      Pass pass, bool keep, int32_t override_section, float override_gate) {
  Backend& be = *backend_;
  float* ping = s_ping_.data();
  float* pong = s_pong_.data();
  for (size_t i = first; i < ops_.size(); ++i) {
    const ConvOp& op = ops_[i];
    if (keep) op_in_[i] = z;
    const float* next = z;
    if (op.kind == ConvOp::kSection) {
      ConvSection& s = sections_[op.index];
      const float gate = op.index == override_section ? override_gate : gates[op.index];
      if (keep) {
        z_in_[op.index] = z;
        next = section_forward(s, z, N, gate, pass,
                               {s.a1.data(), s.r.data(), s.body.data(), s.output.data(), s.bn.mean.data(), s.bn.var.data()});
      } else {
        next = section_forward(s, z, N, gate, pass,
                               {s_a1_.data(), s_r_.data(), s_body_.data(), ping, s_mean_.data(), s_var_.data()});
      }
    } else if (op.kind == ConvOp::kTransition) {
      Transition& t = transitions_[op.index];
      float* a = keep ? t.a.data() : s_a1_.data();
      float* out = keep ? t.out.data() : ping;
      be.conv_forward(conv_square(N, op.in_c, op.in_h, op.in_w, op.out_c, op.kernel, 1, op.pad), z, t.conv.w.data(), a);
      bn_relu_forward(t.bn, a, out, keep ? t.bn.mean.data() : s_mean_.data(), keep ? t.bn.var.data() : s_var_.data(),
                      N * op.out_h * op.out_w, pass);
      next = out;
    } else if (op.kind == ConvOp::kFlatten) {
      next = z;  // NHWC (N, H, W, C) is already (N, 1, 1, H*W*C) in memory
    } else {
      Pool& p = pools_[op.index];
      float* out = keep ? p.out.data() : ping;
      be.maxpool_forward(z, out, keep ? p.argmax.data() : s_argmax_.data(), N, op.in_h, op.in_w, op.in_c);
      next = out;
    }
    if (!keep && next == ping) std::swap(ping, pong);
    z = next;
  }
  return z;
}

void ResidualConvNet::head_forward(const float* z, int64_t N, float* pooled, float* logits) {
  backend_->global_avgpool_forward(z, pooled, N, last_spatial_, last_channels_);
  backend_->linear_forward(pooled, head_w.w.data(), head_b.w.data(), logits, N, arch_.classes, last_channels_, false);
}

double ResidualConvNet::loss(int64_t rows, bool with_gradient, int64_t* correct) {
  return backend_->softmax_cross_entropy(logits_.data(), labels_.data(), rows, arch_.classes,
                                         with_gradient ? dlogits_.data() : nullptr, correct);
}

double ResidualConvNet::backward(int64_t N, const std::vector<float>& gates, Directional want,
                                 std::vector<double>* directional) {
  Backend& be = *backend_;
  double extra_flops = 0.0;
  float* g = grad_a_.data();
  float* other = grad_b_.data();
  // Head: dW_h, db_h, then d pooled -> d z_L through the average pool.
  be.linear_backward_weights(dlogits_.data(), pooled_.data(), head_w.g.data(), head_b.g.data(), N, arch_.classes,
                             last_channels_);
  be.linear_backward_data(dlogits_.data(), head_w.w.data(), grad_h_.data(), N, arch_.classes, last_channels_, false);
  be.global_avgpool_backward(grad_h_.data(), g, N, last_spatial_, last_channels_);
  for (size_t i = ops_.size(); i-- > 0;) {
    const ConvOp& op = ops_[i];
    const float* z = op_in_[i];
    if (op.kind == ConvOp::kFlatten) continue;  // a reinterpretation: the gradient passes as it is
    if (op.kind == ConvOp::kPool) {
      be.maxpool_backward(g, pools_[op.index].argmax.data(), other, N, op.in_h, op.in_w, op.in_c);
      std::swap(g, other);
      continue;
    }
    if (op.kind == ConvOp::kTransition) {
      Transition& t = transitions_[op.index];
      const int64_t rows = N * op.out_h * op.out_w;
      const ConvGeometry gt = conv_square(N, op.in_c, op.in_h, op.in_w, op.out_c, op.kernel, 1, op.pad);
      be.relu_backward(t.out.data(), g, rows * op.out_c);
      be.batchnorm_backward(t.a.data(), g, grad_bn_.data(), rows, op.out_c, t.bn.gamma.w.data(), t.bn.mean.data(),
                            t.bn.var.data(), t.bn.gamma.g.data(), t.bn.beta.g.data(), kBnEps, nullptr);
      be.conv_backward_weights(gt, grad_bn_.data(), z, t.conv.g.data());
      be.conv_backward_data(gt, grad_bn_.data(), t.conv.w.data(), other, false);
      std::swap(g, other);
      continue;
    }
    const int32_t l = op.index;
    ConvSection& s = sections_[l];
    const auto& d = s.d;
    const bool runs = !s.pruned && gates[l] != 0.f;
    const int64_t rows_out = N * d.out_h * d.out_w, n_out = rows_out * d.out_c;
    const ConvGeometry g1 = conv_square(N, d.in_c, d.in_h, d.in_w, d.out_c, d.kernel, d.stride, d.pad);
    const ConvGeometry g2 = conv_square(N, d.out_c, d.out_h, d.out_w, d.out_c, d.kernel, 1, d.pad);
    if (!s.pruned && !runs)  // xi = 0: no data gradient for the body (ALGORITHM 3)
      for (Param* p : {&s.conv1, &s.conv2, &s.bn.gamma, &s.bn.beta})
        if (p->g) be.fill(p->g.data(), 0.f, p->g.size());
    if (arch_.post_activation && (runs || s.proj.w)) be.relu_backward(s.output.data(), g, n_out);
    if (want != kNoDirectional) {  // g is dL/d zbar_l here
      (*directional)[l] = 0.0;
      if (runs) {
        (*directional)[l] = be.dot(g, d.plain ? s.r.data() : s.body.data(), n_out);
      } else if (want == kAllLive && !s.pruned) {
        be.conv_forward(g1, z, s.conv1.w.data(), s_a1_.data());
        bn_relu_forward(s.bn, s_a1_.data(), s_r_.data(), s_mean_.data(), s_var_.data(), rows_out, kProbe);
        const float* body = s_r_.data();
        if (!d.plain) {
          be.conv_forward(g2, s_r_.data(), s.conv2.w.data(), s_body_.data());
          body = s_body_.data();
        }
        (*directional)[l] = be.dot(g, body, n_out);
        extra_flops += body_flops_[l] * double(N);
      }
    }
    if (runs) {
      if (d.plain) {  // B = relu(BN(conv1(z))): d r = g
        be.copy(grad_h_.data(), g, n_out);
      } else {
        be.conv_backward_weights(g2, g, s.r.data(), s.conv2.g.data());
        be.conv_backward_data(g2, g, s.conv2.w.data(), grad_h_.data(), false);
      }
      be.relu_backward(s.r.data(), grad_h_.data(), n_out);
      be.batchnorm_backward(s.a1.data(), grad_h_.data(), grad_bn_.data(), rows_out, d.out_c, s.bn.gamma.w.data(),
                            s.bn.mean.data(), s.bn.var.data(), s.bn.gamma.g.data(), s.bn.beta.g.data(), kBnEps, nullptr);
      be.conv_backward_weights(g1, grad_bn_.data(), z, s.conv1.g.data());
    }
    if (s.proj.w) {  // dz_l = S^T g (+ body path); dP
      const ConvGeometry gp = conv1x1(N, d.in_c, d.in_h, d.in_w, d.out_c, d.stride);
      be.conv_backward_weights(gp, g, z, s.proj.g.data());
      be.conv_backward_data(gp, g, s.proj.w.data(), other, false);
      if (runs) be.conv_backward_data(g1, grad_bn_.data(), s.conv1.w.data(), other, true);
      std::swap(g, other);
    } else if (runs) {  // identity skip: dz_l = g + body path, in place
      be.conv_backward_data(g1, grad_bn_.data(), s.conv1.w.data(), g, true);
    }
  }
  // Stem: through ReLU and BN to the filter (the input needs no gradient).
  const int64_t stem_rows = N * arch_.height * arch_.width;
  be.relu_backward(stem_out_.data(), g, stem_rows * arch_.stem_channels);
  be.batchnorm_backward(stem_a_.data(), g, grad_bn_.data(), stem_rows, arch_.stem_channels, stem_bn.gamma.w.data(),
                        stem_bn.mean.data(), stem_bn.var.data(), stem_bn.gamma.g.data(), stem_bn.beta.g.data(), kBnEps, nullptr);
  be.conv_backward_weights(stem_geometry(N), grad_bn_.data(), x_.data(), stem_conv.g.data());
  return extra_flops;
}

double ResidualConvNet::rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) {
  const float* z = run_ops(op_of_section_[from], z_in_[from], rows, gates, kProbe, false, from, gate_from);
  head_forward(z, rows, s_pooled_.data(), s_logits_.data());
  return backend_->softmax_cross_entropy(s_logits_.data(), labels_.data(), rows, arch_.classes, nullptr, nullptr);
}

double ResidualConvNet::section_weight_norm2(int32_t l) {
  ConvSection& s = sections_[l];
  if (s.pruned) return 0.0;
  return backend_->sum_squares(s.conv1.w.data(), s.conv1.w.size()) +
         (s.conv2.w ? backend_->sum_squares(s.conv2.w.data(), s.conv2.w.size()) : 0.0);
}

void ResidualConvNet::prune(int32_t l, int64_t step) {
  ConvSection& s = sections_[l];
  if (s.pruned) return;
  s.pruned = true;
  s.pruned_at_step = step;
  s.theta = 0.0;
  for (Param* p : {&s.conv1, &s.conv2, &s.bn.gamma, &s.bn.beta}) p->reset();
  for (DeviceBuffer* b : {&s.bn.running_mean, &s.bn.running_var, &s.bn.mean, &s.bn.var, &s.a1, &s.r, &s.body})
    b->reset();
  if (!s.proj.w) s.output.reset();
  rebuild_param_refs();
}

int64_t ResidualConvNet::param_count() const { return cost::params(arch_, live_mask()); }

double ResidualConvNet::forward_flops(const std::vector<float>& gates, int32_t first) const {
  double total = first == 0 ? stem_flops_ : 0.0;
  for (size_t i = first == 0 ? 0 : op_of_section_[first]; i < ops_.size(); ++i) {
    const ConvOp& op = ops_[i];
    if (op.kind == ConvOp::kTransition) total += transition_flops_[op.index];
    if (op.kind == ConvOp::kSection)
      total += skip_flops_[op.index] + double(gates[op.index]) * body_flops_[op.index];
  }
  return total + head_flops_;
}

std::vector<StateTensor> ResidualConvNet::state_tensors() {
  std::vector<StateTensor> out;
  auto param = [&out](const std::string& name, Param& p) {
    out.push_back({name + ".w", p.w.data(), p.w.size()});
    out.push_back({name + ".v", p.v.data(), p.v.size()});
  };
  auto bn = [&](const std::string& name, BatchNorm& b) {
    param(name + ".gamma", b.gamma);
    param(name + ".beta", b.beta);
    out.push_back({name + ".running_mean", b.running_mean.data(), b.running_mean.size()});
    out.push_back({name + ".running_var", b.running_var.data(), b.running_var.size()});
  };
  param("stem.conv", stem_conv);
  bn("stem.bn", stem_bn);
  for (size_t i = 0; i < transitions_.size(); ++i) {
    const std::string name = "t" + std::to_string(i);
    param(name + ".conv", transitions_[i].conv);
    bn(name + ".bn", transitions_[i].bn);
  }
  for (ConvSection& s : sections_) {
    const std::string name = "s" + std::to_string(s.index);
    if (s.proj.w) param(name + ".proj", s.proj);
    if (s.pruned) continue;
    param(name + ".conv1", s.conv1);
    bn(name + ".bn", s.bn);
    if (s.conv2.w) param(name + ".conv2", s.conv2);
  }
  param("head.w", head_w);
  param("head.b", head_b);
  return out;
}

void ResidualConvNet::rebuild_param_refs() {
  param_refs_.clear();
  auto add = [this](Param& p, bool decayed, int32_t prior_section = -1) {
    param_refs_.push_back({p.w.data(), p.v.data(), p.g.data(), p.w.size(), decayed, prior_section});
  };
  add(stem_conv, true);
  add(stem_bn.gamma, false);
  add(stem_bn.beta, false);
  for (Transition& t : transitions_) {
    add(t.conv, true);
    add(t.bn.gamma, false);
    add(t.bn.beta, false);
  }
  for (ConvSection& s : sections_) {
    if (s.proj.w) add(s.proj, true);
    if (s.pruned) continue;
    add(s.conv1, false, s.index);  // the prior's W_l: conv1 and conv2
    add(s.bn.gamma, false);
    add(s.bn.beta, false);
    if (s.conv2.w) add(s.conv2, false, s.index);
  }
  add(head_w, true);
  add(head_b, false);
}

}  // namespace layerprune::legacy
