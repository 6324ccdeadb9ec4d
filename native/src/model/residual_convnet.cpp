#include "model/residual_convnet.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "model/cost.h"

namespace layerprune {

namespace {
constexpr float kBnMomentum = 0.1f;
constexpr float kBnEps = 1e-5f;
}  // namespace

ResidualConvNet::ResidualConvNet(std::unique_ptr<Backend> backend, const ConvNetArchitecture& arch, uint64_t seed)
    : backend_(std::move(backend)), arch_(arch) {
  arch_.validate();
  Rng rng(seed);
  const auto dims = arch_.section_dims();
  const int32_t L = static_cast<int32_t>(dims.size());
  // He initialisation for filters followed by BN/ReLU; the last filter of each
  // section is scaled by 1/sqrt(L) so deep stacks start near the identity (section 1).
  init_filter(stem_conv, arch_.stem_channels * arch_.in_channels * 9, std::sqrt(2.0 / double(arch_.in_channels * 9)), rng);
  init_bn(stem_bn, arch_.stem_channels);
  sections_.resize(L);
  const double last_scale = L > 0 ? 1.0 / std::sqrt(double(L)) : 1.0;
  max_activation_ = arch_.height * arch_.width * std::max(arch_.stem_channels, arch_.in_channels);
  for (int32_t l = 0; l < L; ++l) {
    ConvSection& s = sections_[l];
    s.index = l;
    s.d = dims[l];
    init_filter(s.conv1, s.d.out_c * s.d.in_c * 9, std::sqrt(2.0 / double(s.d.in_c * 9)), rng);
    init_filter(s.conv2, s.d.out_c * s.d.out_c * 9, std::sqrt(2.0 / double(s.d.out_c * 9)) * last_scale, rng);
    init_bn(s.bn, s.d.out_c);
    if (s.d.projection()) init_filter(s.proj, s.d.out_c * s.d.in_c, std::sqrt(1.0 / double(s.d.in_c)), rng);
    max_activation_ = std::max({max_activation_, s.d.in_h * s.d.in_w * s.d.in_c, s.d.out_h * s.d.out_w * s.d.out_c});
    section_weights_.push_back(cost::section_weights(arch_, l));
    body_flops_.push_back(cost::section_body_flops(arch_, l));
    skip_flops_.push_back(cost::section_skip_flops(arch_, l));
  }
  last_channels_ = L > 0 ? dims.back().out_c : arch_.stem_channels;
  last_spatial_ = L > 0 ? dims.back().out_h * dims.back().out_w : arch_.height * arch_.width;
  init_filter(head_w, arch_.classes * last_channels_, std::sqrt(1.0 / double(last_channels_)), rng);
  head_b.allocate(*backend_, memory_, arch_.classes);
  stem_flops_ = cost::conv_flops(conv3x3(1, arch_.in_channels, arch_.height, arch_.width, arch_.stem_channels, 1));
  head_flops_ = cost::linear_flops(last_channels_, arch_.classes);
  z_in_.assign(L + 1, nullptr);
  rebuild_param_refs();
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
  for (ConvSection& s : sections_) {
    const int64_t n = rows * s.d.out_h * s.d.out_w * s.d.out_c;
    if (!s.pruned) {
      s.a1 = DeviceBuffer(be, memory_, n);
      s.r = DeviceBuffer(be, memory_, n);
      s.body = DeviceBuffer(be, memory_, n);
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
                              running_mean, running_var, kBnMomentum, pass != kInference, kBnEps);
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
    be.conv_forward(conv3x3(N, d.in_c, d.in_h, d.in_w, d.out_c, d.stride), z, s.conv1.w.data(), out.a1);
    bn_relu_forward(s.bn, out.a1, out.r, out.mean, out.var, rows_out, pass);
    be.conv_forward(conv3x3(N, d.out_c, d.out_h, d.out_w, d.out_c, 1), out.r, s.conv2.w.data(), out.body);
    if (s.proj.w)
      be.axpy(gate, out.body, out.out, n_out);
    else
      be.add_scaled(z, gate, out.body, out.out, n_out);
  }
  if (arch_.post_activation) be.relu_forward(out.out, out.out, n_out);
  return out.out;
}

const float* ResidualConvNet::forward(int64_t rows, const std::vector<float>& gates, Pass pass) {
  require(rows > 0 && rows <= capacity_, "could not run the forward pass because the batch has ", rows,
          " rows and the workspace holds ", capacity_);
  Backend& be = *backend_;
  be.conv_forward(conv3x3(rows, arch_.in_channels, arch_.height, arch_.width, arch_.stem_channels, 1), x_.data(),
                  stem_conv.w.data(), stem_a_.data());
  bn_relu_forward(stem_bn, stem_a_.data(), stem_out_.data(), stem_bn.mean.data(), stem_bn.var.data(),
                  rows * arch_.height * arch_.width, pass);
  const float* z = stem_out_.data();
  for (ConvSection& s : sections_) {
    z_in_[s.index] = z;
    z = section_forward(s, z, rows, gates[s.index], pass,
                        {s.a1.data(), s.r.data(), s.body.data(), s.output.data(), s.bn.mean.data(), s.bn.var.data()});
  }
  z_in_[sections_.size()] = z;
  be.global_avgpool_forward(z, pooled_.data(), rows, last_spatial_, last_channels_);
  be.linear_forward(pooled_.data(), head_w.w.data(), head_b.w.data(), logits_.data(), rows, arch_.classes,
                    last_channels_, false);
  return logits_.data();
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
  for (int32_t l = sections() - 1; l >= 0; --l) {
    ConvSection& s = sections_[l];
    const auto& d = s.d;
    const float* z = z_in_[l];
    const bool runs = !s.pruned && gates[l] != 0.f;
    const int64_t rows_out = N * d.out_h * d.out_w, n_out = rows_out * d.out_c;
    const ConvGeometry g1 = conv3x3(N, d.in_c, d.in_h, d.in_w, d.out_c, d.stride);
    const ConvGeometry g2 = conv3x3(N, d.out_c, d.out_h, d.out_w, d.out_c, 1);
    if (!s.pruned && !runs)  // xi = 0: no data gradient for the body (ALGORITHM 3)
      for (Param* p : {&s.conv1, &s.conv2, &s.bn.gamma, &s.bn.beta}) be.fill(p->g.data(), 0.f, p->g.size());
    if (arch_.post_activation && (runs || s.proj.w)) be.relu_backward(s.output.data(), g, n_out);
    if (want != kNoDirectional) {  // g is dL/d zbar_l here
      (*directional)[l] = 0.0;
      if (runs) {
        (*directional)[l] = be.dot(g, s.body.data(), n_out);
      } else if (want == kAllLive && !s.pruned) {
        be.conv_forward(g1, z, s.conv1.w.data(), s_a1_.data());
        bn_relu_forward(s.bn, s_a1_.data(), s_r_.data(), s_mean_.data(), s_var_.data(), rows_out, kProbe);
        be.conv_forward(g2, s_r_.data(), s.conv2.w.data(), s_body_.data());
        (*directional)[l] = be.dot(g, s_body_.data(), n_out);
        extra_flops += body_flops_[l] * double(N);
      }
    }
    if (runs) {
      be.conv_backward_weights(g2, g, s.r.data(), s.conv2.g.data());
      be.conv_backward_data(g2, g, s.conv2.w.data(), grad_h_.data(), false);
      be.relu_backward(s.r.data(), grad_h_.data(), n_out);
      be.batchnorm_backward(s.a1.data(), grad_h_.data(), grad_bn_.data(), rows_out, d.out_c, s.bn.gamma.w.data(),
                            s.bn.mean.data(), s.bn.var.data(), s.bn.gamma.g.data(), s.bn.beta.g.data(), kBnEps);
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
                        stem_bn.mean.data(), stem_bn.var.data(), stem_bn.gamma.g.data(), stem_bn.beta.g.data(), kBnEps);
  be.conv_backward_weights(conv3x3(N, arch_.in_channels, arch_.height, arch_.width, arch_.stem_channels, 1),
                           grad_bn_.data(), x_.data(), stem_conv.g.data());
  return extra_flops;
}

double ResidualConvNet::rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) {
  Backend& be = *backend_;
  const float* z = z_in_[from];
  float* ping = s_ping_.data();
  float* pong = s_pong_.data();
  for (int32_t l = from; l < sections(); ++l) {
    const float gate = l == from ? gate_from : gates[l];
    const float* next = section_forward(sections_[l], z, rows, gate, kProbe,
                                        {s_a1_.data(), s_r_.data(), s_body_.data(), ping, s_mean_.data(), s_var_.data()});
    if (next == ping) std::swap(ping, pong);
    z = next;
  }
  be.global_avgpool_forward(z, s_pooled_.data(), rows, last_spatial_, last_channels_);
  be.linear_forward(s_pooled_.data(), head_w.w.data(), head_b.w.data(), s_logits_.data(), rows, arch_.classes,
                    last_channels_, false);
  return be.softmax_cross_entropy(s_logits_.data(), labels_.data(), rows, arch_.classes, nullptr, nullptr);
}

double ResidualConvNet::section_weight_norm2(int32_t l) {
  ConvSection& s = sections_[l];
  if (s.pruned) return 0.0;
  return backend_->sum_squares(s.conv1.w.data(), s.conv1.w.size()) +
         backend_->sum_squares(s.conv2.w.data(), s.conv2.w.size());
}

void ResidualConvNet::add_prior_gradient(int32_t l, float coefficient) {
  ConvSection& s = sections_[l];
  if (s.pruned) return;
  backend_->axpy(coefficient, s.conv1.w.data(), s.conv1.g.data(), s.conv1.w.size());
  backend_->axpy(coefficient, s.conv2.w.data(), s.conv2.g.data(), s.conv2.w.size());
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
  for (int32_t l = first; l < sections(); ++l) total += skip_flops_[l] + double(gates[l]) * body_flops_[l];
  return total + head_flops_;
}

void ResidualConvNet::rebuild_param_refs() {
  param_refs_.clear();
  auto add = [this](Param& p, bool decayed) {
    param_refs_.push_back({p.w.data(), p.v.data(), p.g.data(), p.w.size(), decayed});
  };
  add(stem_conv, true);
  add(stem_bn.gamma, false);
  add(stem_bn.beta, false);
  for (ConvSection& s : sections_) {
    if (s.proj.w) add(s.proj, true);
    if (s.pruned) continue;
    add(s.conv1, false);
    add(s.bn.gamma, false);
    add(s.bn.beta, false);
    add(s.conv2, false);
  }
  add(head_w, true);
  add(head_b, false);
}

}  // namespace layerprune
