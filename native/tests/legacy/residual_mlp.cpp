#include "legacy/residual_mlp.h"

#include <cmath>

#include "core/error.h"
#include "layerprune/api.h"
#include "legacy/cost.h"

namespace layerprune::legacy {

ResidualMlp::ResidualMlp(std::unique_ptr<Backend> backend, const MlpArchitecture& arch,
                         uint64_t seed)
    : backend_(std::move(backend)), arch_(arch) {
  arch_.validate();
  Rng rng(seed);
  const int32_t L = arch_.sections();
  // He initialisation for every matrix followed by a ReLU; the last weight of each
  // section is scaled by 1/sqrt(L) so deep stacks start near the identity (section 1).
  init_linear(stem_, arch_.input, arch_.stem_width, true, std::sqrt(2.0 / double(arch_.input)), rng);
  sections_.resize(L);
  const double last_scale = L > 0 ? 1.0 / std::sqrt(double(L)) : 1.0;
  for (int32_t l = 0; l < L; ++l) {
    Section& s = sections_[l];
    s.index = l;
    s.in = arch_.section_in(l);
    s.out = arch_.section_out(l);
    init_linear(s.fc1, s.in, s.out, true, std::sqrt(2.0 / double(s.in)), rng);
    init_linear(s.fc2, s.out, s.out, true, std::sqrt(2.0 / double(s.out)) * last_scale, rng);
    if (arch_.has_projection(l))
      init_linear(s.proj, s.in, s.out, false, std::sqrt(1.0 / double(s.in)), rng);
  }
  init_linear(head_, arch_.last_width(), arch_.classes, true,
              std::sqrt(1.0 / double(arch_.last_width())), rng);
  z_in_.assign(L + 1, nullptr);
  rebuild_param_refs();
}

void ResidualMlp::init_linear(Linear& layer, int64_t in, int64_t out, bool bias, double stddev,
                              Rng& rng) {
  layer.in = in;
  layer.out = out;
  std::vector<float> host(static_cast<size_t>(in * out));
  for (float& w : host) w = static_cast<float>(rng.normal() * stddev);
  layer.W = DeviceBuffer(*backend_, memory_, in * out);
  layer.dW = DeviceBuffer(*backend_, memory_, in * out);
  layer.vW = DeviceBuffer(*backend_, memory_, in * out);
  backend_->to_device(layer.W.data(), host.data(), sizeof(float) * host.size());
  if (bias) {  // zero-initialised by allocate
    layer.b = DeviceBuffer(*backend_, memory_, out);
    layer.db = DeviceBuffer(*backend_, memory_, out);
    layer.vb = DeviceBuffer(*backend_, memory_, out);
    backend_->fill(layer.b.data(), 0.f, out);
  }
}

int64_t ResidualMlp::param_count() const { return cost::params(arch_, live_mask()); }

void ResidualMlp::ensure_capacity(int64_t rows) {
  require(rows > 0, "could not size the workspace because the batch has ", rows, " rows");
  if (rows <= capacity_) return;
  Backend& be = *backend_;
  const int64_t wmax = arch_.max_width();
  x_ = DeviceBuffer(be, memory_, rows * arch_.input);
  labels_ = DeviceArray<int32_t>(be, memory_, rows);
  stem_out_ = DeviceBuffer(be, memory_, rows * arch_.stem_width);
  logits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  dlogits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  scratch_logits_ = DeviceBuffer(be, memory_, rows * arch_.classes);
  for (DeviceBuffer* b : {&grad_a_, &grad_b_, &grad_hidden_, &scratch_hidden_, &scratch_body_,
                          &scratch_a_, &scratch_b_})
    *b = DeviceBuffer(be, memory_, rows * wmax);
  for (Section& s : sections_) {
    if (!s.pruned) {
      s.hidden = DeviceBuffer(be, memory_, rows * s.out);
      s.body = DeviceBuffer(be, memory_, rows * s.out);
    }
    if (!s.pruned || s.proj.W) s.output = DeviceBuffer(be, memory_, rows * s.out);
  }
  capacity_ = rows;
}

const float* ResidualMlp::section_forward(Section& s, const float* z, int64_t rows, float gate,
                                          float* hidden, float* body, float* out) {
  Backend& be = *backend_;
  const bool runs = gate != 0.f && !s.pruned;
  if (!runs && !s.proj.W) return z;  // identity skip, no body: z_{l+1} = z_l
  if (s.proj.W) be.linear_forward(z, s.proj.W.data(), nullptr, out, rows, s.out, s.in, false);
  if (!runs) return out;
  be.linear_forward(z, s.fc1.W.data(), s.fc1.b.data(), hidden, rows, s.out, s.in, true);
  be.linear_forward(hidden, s.fc2.W.data(), s.fc2.b.data(), body, rows, s.out, s.out, false);
  if (s.proj.W)
    be.axpy(gate, body, out, rows * s.out);
  else
    be.add_scaled(z, gate, body, out, rows * s.out, false);
  return out;
}

const float* ResidualMlp::head_forward(const float* z, int64_t rows, float* logits) {
  backend_->linear_forward(z, head_.W.data(), head_.b.data(), logits, rows, arch_.classes,
                           arch_.last_width(), false);
  return logits;
}

const float* ResidualMlp::forward(int64_t rows, const std::vector<float>& gates, Pass /*pass*/) {
  require(rows > 0 && rows <= capacity_, "could not run the forward pass because the batch has ",
          rows, " rows and the workspace holds ", capacity_);
  Backend& be = *backend_;
  be.linear_forward(x_.data(), stem_.W.data(), stem_.b.data(), stem_out_.data(), rows,
                    arch_.stem_width, arch_.input, true);
  const float* z = stem_out_.data();
  for (Section& s : sections_) {
    z_in_[s.index] = z;
    z = section_forward(s, z, rows, gates[s.index], s.hidden.data(), s.body.data(), s.output.data());
  }
  z_in_[sections_.size()] = z;
  return head_forward(z, rows, logits_.data());
}

double ResidualMlp::loss(int64_t rows, bool with_gradient, int64_t* correct) {
  return backend_->softmax_cross_entropy(logits_.data(), labels_.data(), rows, arch_.classes,
                                         with_gradient ? dlogits_.data() : nullptr, correct);
}

double ResidualMlp::backward(int64_t rows, const std::vector<float>& gates, Directional want,
                             std::vector<double>* directional) {
  Backend& be = *backend_;
  double extra_flops = 0.0;
  const int32_t L = sections();
  // Head: dW_h = dlogits^T z_L, dz_L = dlogits W_h.
  float* g = grad_a_.data();
  float* other = grad_b_.data();
  be.linear_backward_weights(dlogits_.data(), z_in_[L], head_.dW.data(), head_.db.data(), rows,
                             arch_.classes, arch_.last_width());
  be.linear_backward_data(dlogits_.data(), head_.W.data(), g, rows, arch_.classes,
                          arch_.last_width(), false);
  for (int32_t l = L - 1; l >= 0; --l) {
    Section& s = sections_[l];
    const float* z = z_in_[l];
    const bool runs = !s.pruned && gates[l] != 0.f;
    if (!s.pruned && !runs) {  // xi = 0: no data gradient for the body (ALGORITHM 3)
      be.fill(s.fc1.dW.data(), 0.f, s.fc1.dW.size());
      be.fill(s.fc1.db.data(), 0.f, s.fc1.db.size());
      be.fill(s.fc2.dW.data(), 0.f, s.fc2.dW.size());
      be.fill(s.fc2.db.data(), 0.f, s.fc2.db.size());
    }
    float* dh = grad_hidden_.data();
    if (want != kNoDirectional) {  // g is dL/d zbar_l here, before the section changes it
      (*directional)[l] = 0.0;
      if (runs) {
        (*directional)[l] = be.dot(g, s.body.data(), rows * s.out);
      } else if (want == kAllLive && !s.pruned) {
        be.linear_forward(z, s.fc1.W.data(), s.fc1.b.data(), scratch_hidden_.data(), rows, s.out, s.in, true);
        be.linear_forward(scratch_hidden_.data(), s.fc2.W.data(), s.fc2.b.data(), scratch_body_.data(), rows,
                          s.out, s.out, false);
        (*directional)[l] = be.dot(g, scratch_body_.data(), rows * s.out);
        extra_flops += cost::section_body_flops(arch_, l) * double(rows);
      }
    }
    if (runs) {
      // The body's output enters z_{l+1} with factor 1: d body = g.
      be.linear_backward_weights(g, s.hidden.data(), s.fc2.dW.data(), s.fc2.db.data(), rows, s.out, s.out);
      be.linear_backward_data(g, s.fc2.W.data(), dh, rows, s.out, s.out, false);
      be.relu_backward(s.hidden.data(), dh, rows * s.out);
      be.linear_backward_weights(dh, z, s.fc1.dW.data(), s.fc1.db.data(), rows, s.out, s.in);
    }
    if (s.proj.W) {  // dz_l = g P (+ dh W1); dP = g^T z_l
      be.linear_backward_weights(g, z, s.proj.dW.data(), nullptr, rows, s.out, s.in);
      be.linear_backward_data(g, s.proj.W.data(), other, rows, s.out, s.in, false);
      if (runs) be.linear_backward_data(dh, s.fc1.W.data(), other, rows, s.out, s.in, true);
      std::swap(g, other);
    } else if (runs) {  // identity skip: dz_l = g + dh W1, in place
      be.linear_backward_data(dh, s.fc1.W.data(), g, rows, s.out, s.in, true);
    }
  }
  // Stem: dz_0 through the ReLU, then dW_s = dz_0^T x (the input needs no gradient).
  be.relu_backward(stem_out_.data(), g, rows * arch_.stem_width);
  be.linear_backward_weights(g, x_.data(), stem_.dW.data(), stem_.db.data(), rows,
                             arch_.stem_width, arch_.input);
  return extra_flops;
}

double ResidualMlp::rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from,
                               float gate_from) {
  const float* z = z_in_[from];
  float* ping = scratch_a_.data();
  float* pong = scratch_b_.data();
  for (int32_t l = from; l < sections(); ++l) {
    const float gate = l == from ? gate_from : gates[l];
    const float* next = section_forward(sections_[l], z, rows, gate, scratch_hidden_.data(),
                                        scratch_body_.data(), ping);
    if (next == ping) std::swap(ping, pong);
    z = next;
  }
  head_forward(z, rows, scratch_logits_.data());
  return backend_->softmax_cross_entropy(scratch_logits_.data(), labels_.data(), rows,
                                         arch_.classes, nullptr, nullptr);
}

void ResidualMlp::prune(int32_t l, int64_t step) {
  Section& s = sections_[l];
  if (s.pruned) return;
  s.pruned = true;
  s.pruned_at_step = step;
  s.theta = 0.0;
  for (DeviceBuffer* b : {&s.fc1.W, &s.fc1.b, &s.fc1.dW, &s.fc1.db, &s.fc1.vW, &s.fc1.vb, &s.fc2.W,
                          &s.fc2.b, &s.fc2.dW, &s.fc2.db, &s.fc2.vW, &s.fc2.vb, &s.hidden, &s.body})
    b->reset();
  if (!s.proj.W) s.output.reset();
  rebuild_param_refs();
}

SectionShape ResidualMlp::section_shape(int32_t l) const {
  const Section& s = sections_[l];
  return {s.in, s.out, static_cast<bool>(s.proj.W)};
}

int64_t ResidualMlp::section_weights(int32_t l) const { return cost::section_weights(arch_, l); }

double ResidualMlp::forward_flops(const std::vector<float>& gates, int32_t first) const {
  return cost::forward_flops(arch_, gates, first);
}

double ResidualMlp::section_weight_norm2(int32_t l) {
  Section& s = sections_[l];
  if (s.pruned) return 0.0;
  return backend_->sum_squares(s.fc1.W.data(), s.fc1.W.size()) +
         backend_->sum_squares(s.fc2.W.data(), s.fc2.W.size());
}

void ResidualMlp::rebuild_param_refs() {
  param_refs_.clear();
  auto add = [this](Linear& layer, bool decayed, int32_t prior_section) {
    param_refs_.push_back({layer.W.data(), layer.vW.data(), layer.dW.data(), layer.W.size(), decayed, prior_section});
    if (layer.b)
      param_refs_.push_back({layer.b.data(), layer.vb.data(), layer.db.data(), layer.b.size(), false});
  };
  add(stem_, true, -1);
  for (int32_t l = 0; l < int32_t(sections_.size()); ++l) {
    Section& s = sections_[l];
    if (s.proj.W) add(s.proj, true, -1);
    if (s.pruned) continue;
    add(s.fc1, false, l);  // W_l = W1 and W2
    add(s.fc2, false, l);
  }
  add(head_, true, -1);
}

std::vector<StateTensor> ResidualMlp::state_tensors() {
  std::vector<StateTensor> out;
  auto add = [&out](const std::string& name, Linear& layer) {
    out.push_back({name + ".W", layer.W.data(), layer.W.size()});
    out.push_back({name + ".vW", layer.vW.data(), layer.vW.size()});
    if (layer.b) {
      out.push_back({name + ".b", layer.b.data(), layer.b.size()});
      out.push_back({name + ".vb", layer.vb.data(), layer.vb.size()});
    }
  };
  add("stem", stem_);
  for (Section& s : sections_) {
    const std::string name = "s" + std::to_string(s.index);
    if (s.proj.W) add(name + ".proj", s.proj);
    if (s.pruned) continue;
    add(name + ".fc1", s.fc1);
    add(name + ".fc2", s.fc2);
  }
  add("head", head_);
  return out;
}

std::vector<float> ResidualMlp::download(const DeviceBuffer& buffer) {
  std::vector<float> host(static_cast<size_t>(buffer.size()));
  backend_->to_host(host.data(), buffer.data(), sizeof(float) * host.size());
  return host;
}

}  // namespace layerprune::legacy
