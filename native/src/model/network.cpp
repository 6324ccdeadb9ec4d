#include "model/network.h"

#include <algorithm>
#include <cmath>
#include <climits>
#include <type_traits>

#include "core/error.h"
#include "model/cost.h"

namespace layerprune {

Network::Network(std::unique_ptr<Backend> backend, const Architecture& arch, uint64_t seed)
    : backend_(std::move(backend)), arch_(arch), plan_(plan_of(arch)) {
  Rng rng(seed);
  const int32_t L = plan_.sections();
  layers_.resize(size_t(plan_.layers));
  sections_.resize(size_t(L));
  pools_.resize(size_t(plan_.pools));
  // He initialisation for every weight followed by a ReLU (or BN and ReLU); the last layer of
  // each section body is scaled by 1/sqrt(L) so deep stacks start near the identity (section 1);
  // projections and the head get 1/sqrt(fan in). The order of the draws (stem, sections with
  // their projections, transitions, head) is the one of the networks this class replaced, so a
  // seed gives the same weights as before.
  const auto he = [](const LayerPlan& p) { return std::sqrt(2.0 / double(p.fan_in())); };
  init_layer(layers_[0], plan_.ops[0].layer, he(plan_.ops[0].layer), rng);
  const double last_scale = L > 0 ? 1.0 / std::sqrt(double(L)) : 1.0;
  for (int32_t l = 0; l < L; ++l) {
    Section& s = sections_[l];
    s.index = l;
    s.op = &plan_.section(l);
    s.body.resize(s.op->body.size());
    double initial_norm2 = 0.0;
    for (size_t j = 0; j < s.body.size(); ++j) {
      const LayerPlan& p = s.op->body[j];
      const double stddev = he(p) * (j + 1 == s.body.size() ? last_scale : 1.0);
      init_layer(s.body[j], p, stddev, rng);
      initial_norm2 += double(p.weights()) * stddev * stddev;
    }
    initial_norm2_.push_back(initial_norm2);
    if (s.op->projection) init_layer(s.skip, s.op->skip, std::sqrt(1.0 / double(s.op->skip.fan_in())), rng);
    section_weights_.push_back(cost::section_weights(*s.op));
    body_flops_.push_back(cost::section_body_flops(*s.op));
    // Backward walks the body in reverse with the output gradient in g, grad_h_ or grad_h2_:
    // the second is needed only where a layer's linear-map gradient is grad_h_ itself (no BN)
    // and a layer before it needs its data gradient.
    int where = s.body.back().plan->relu || s.body.back().plan->batchnorm ? 1 : 0;  // 0 g, 1 h, 2 h2
    for (size_t j = s.body.size(); j-- > 1;) {
      const int dlin = s.body[j].plan->batchnorm ? 3 : where;  // 3: grad_bn_
      deep_body_ = deep_body_ || dlin == 1;
      where = dlin == 1 ? 2 : 1;
    }
  }
  for (const PlanOp& op : plan_.ops) {
    if (op.kind == PlanOp::kLayer && op.index > 0) init_layer(layers_[op.index], op.layer, he(op.layer), rng);
    if (op.kind == PlanOp::kPool) any_pool_ = true;
    if (op.kind == PlanOp::kLayer) any_bn_ = any_bn_ || op.layer.batchnorm;
    if (op.kind == PlanOp::kSection)
      for (const LayerPlan& p : op.body) any_bn_ = any_bn_ || p.batchnorm;
  }
  init_layer(head_, plan_.head, std::sqrt(1.0 / double(plan_.head.fan_in())), rng);
  max_activation_ = plan_.max_activation();
  for (const PlanOp& op : plan_.ops) {
    if (op.kind == PlanOp::kLayer && op.layer.batchnorm) max_channels_ = std::max(max_channels_, op.layer.out.c);
    for (const LayerPlan& p : op.body)
      if (p.batchnorm) max_channels_ = std::max(max_channels_, p.out.c);
  }
  op_in_.assign(plan_.ops.size(), nullptr);
  rebuild_param_refs();
}

void Network::init_weights(Param& p, int64_t n, double stddev, Rng& rng) {
  p.allocate(*backend_, memory_, n);
  std::vector<float> host(static_cast<size_t>(n));
  for (float& w : host) w = static_cast<float>(rng.normal() * stddev);
  backend_->to_device(p.w.data(), host.data(), sizeof(float) * host.size());
}

void Network::init_layer(Layer& layer, const LayerPlan& plan, double stddev, Rng& rng) {
  Backend& be = *backend_;
  layer.plan = &plan;
  init_weights(layer.weight, plan.weights(), stddev, rng);
  if (plan.bias) layer.bias.allocate(be, memory_, plan.out.c);  // zero, as every fresh buffer
  if (plan.batchnorm) {
    BatchNorm& bn = layer.bn;
    const int64_t c = plan.out.c;
    bn.channels = c;
    bn.gamma.allocate(be, memory_, c);
    bn.beta.allocate(be, memory_, c);
    bn.running_mean = DeviceBuffer(be, memory_, c);
    bn.running_var = DeviceBuffer(be, memory_, c);
    bn.mean = DeviceBuffer(be, memory_, c);
    bn.var = DeviceBuffer(be, memory_, c);
    be.fill(bn.gamma.w.data(), 1.f, c);
    be.fill(bn.running_var.data(), 1.f, c);
  }
}

bool Network::image_shape(int64_t* channels, int64_t* height, int64_t* width) const {
  if (!arch_.image) return false;
  *channels = arch_.input.c, *height = arch_.input.h, *width = arch_.input.w;
  return true;
}

SectionShape Network::section_shape(int32_t l) const {
  const PlanOp& op = *sections_[l].op;
  const int64_t in = op.section == SectionKind::kDense ? op.in.size() : op.in.c;
  return {in, op.out.c, op.projection};
}

// Every per-batch buffer of a batch of `rows`, handed to `op(target, count)`: counted once to
// check the memory (ensure_capacity), then allocated; one list, so the check cannot miss one.
template <typename Op>
void Network::for_each_batch_buffer(int64_t rows, Op&& op) {
  const auto buffer = [&](DeviceBuffer& b, const Shape& s) { op(b, rows * s.size()); };
  op(x_, rows * plan_.input.size());
  op(labels_, rows);
  if (plan_.head_pool) {
    buffer(pooled_, plan_.head.in);
    buffer(s_pooled_, plan_.head.in);
  }
  buffer(logits_, plan_.head.out);
  buffer(dlogits_, plan_.head.out);
  buffer(s_logits_, plan_.head.out);
  const int64_t big = rows * max_activation_;
  for (DeviceBuffer* b : {&grad_a_, &grad_b_, &grad_h_, &s_x_, &s_y_, &s_ping_, &s_pong_}) op(*b, big);
  if (deep_body_) op(grad_h2_, big);
  if (any_bn_) {
    op(grad_bn_, big);
    op(s_pre_, big);
    op(s_mean_, max_channels_);
    op(s_var_, max_channels_);
  }
  if (any_pool_) op(s_argmax_, big);
  for (const PlanOp& o : plan_.ops) {
    if (o.kind == PlanOp::kLayer) {
      Layer& layer = layers_[o.index];
      if (o.layer.batchnorm) buffer(layer.pre, o.out);
      buffer(layer.out, o.out);
    } else if (o.kind == PlanOp::kPool) {
      buffer(pools_[o.index].out, o.out);
      op(pools_[o.index].argmax, rows * o.out.size());
    }
  }
  for (Section& sec : sections_) {
    if (!sec.pruned)
      for (Layer& layer : sec.body) {
        if (layer.plan->batchnorm) buffer(layer.pre, layer.plan->out);
        buffer(layer.out, layer.plan->out);
      }
    if (!sec.pruned || sec.op->projection) buffer(sec.output, sec.op->out);
  }
}

int64_t Network::batch_bytes(int64_t rows) {
  double bytes = 0;
  for_each_batch_buffer(rows, [&](auto& target, int64_t count) {
    bytes += double(count) * double(sizeof(*target.data()));
  });
  return bytes > 9e18 ? INT64_MAX : int64_t(bytes);
}

void Network::ensure_capacity(int64_t rows) {
  require(rows > 0, "could not size the workspace because the batch has ", rows, " rows");
  if (rows <= capacity_) return;
  Backend& be = *backend_;
  // Refuse, with the numbers, a batch whose activations cannot fit, before allocating any of it
  // (the buffers of the smaller batch are freed one by one as the new ones replace them).
  const double needed = double(batch_bytes(rows)), held = double(batch_bytes(capacity_ > 0 ? capacity_ : 0));
  const double available = double(be.available_memory()) + held;
  require(needed < available, "could not allocate the activations of a batch of ", rows, " samples because they need ",
          needed / 1e9, " GB and ", be.name(), " memory has ", available / 1e9,
          " GB available; use a smaller batch");
  for_each_batch_buffer(rows, [&](auto& target, int64_t count) {
    using Target = std::remove_reference_t<decltype(target)>;
    target = Target(be, memory_, count);
  });
  capacity_ = rows;
}

void Network::layer_forward(Layer& layer, const float* x, int64_t N, Pass pass, const Out& o) {
  Backend& be = *backend_;
  const LayerPlan& p = *layer.plan;
  if (p.kind == LayerKind::kDense) {  // a spatial input is its H*W*C features (NHWC)
    be.linear_forward(x, layer.weight.w.data(), p.bias ? layer.bias.w.data() : nullptr, o.out, N, p.out.c,
                      p.in.size(), p.relu);
    return;
  }
  be.conv_forward(p.geometry(N), x, layer.weight.w.data(), p.batchnorm ? o.pre : o.out);
  if (p.batchnorm) {
    // Running statistics are read at inference and moved only by training passes. A ReLU
    // after the batch norm runs in its pass.
    BatchNorm& bn = layer.bn;
    float* running_mean = pass == kProbe ? nullptr : bn.running_mean.data();
    float* running_var = pass == kProbe ? nullptr : bn.running_var.data();
    be.batchnorm_forward(o.pre, o.out, N * p.out.h * p.out.w, bn.channels, bn.gamma.w.data(), bn.beta.w.data(), o.mean,
                         o.var, running_mean, running_var, BatchNorm::kMomentum, pass != kInference, BatchNorm::kEps,
                         p.relu);
  } else if (p.relu) {
    be.relu_forward(o.out, o.out, N * p.out.size());
  }
}

float* Network::layer_output_gradient(Layer& layer, float* dout, int64_t N) {
  Backend& be = *backend_;
  const LayerPlan& p = *layer.plan;
  float* dlin = dout;
  if (p.batchnorm) {  // with a ReLU after it, its backward is folded into batch norm's
    BatchNorm& bn = layer.bn;
    be.batchnorm_backward(layer.pre.data(), dout, grad_bn_.data(), N * p.out.h * p.out.w, bn.channels, bn.gamma.w.data(),
                          bn.mean.data(), bn.var.data(), bn.gamma.g.data(), bn.beta.g.data(), BatchNorm::kEps,
                          p.relu ? layer.out.data() : nullptr);
    dlin = grad_bn_.data();
  } else if (p.relu) {
    be.relu_backward(layer.out.data(), dout, N * p.out.size());
  }
  return dlin;
}

float* Network::layer_backward_weights(Layer& layer, const float* x, float* dout, int64_t N) {
  Backend& be = *backend_;
  const LayerPlan& p = *layer.plan;
  float* dlin = layer_output_gradient(layer, dout, N);
  if (p.kind == LayerKind::kDense)
    be.linear_backward_weights(dlin, x, layer.weight.g.data(), p.bias ? layer.bias.g.data() : nullptr, N, p.out.c,
                               p.in.size());
  else
    be.conv_backward_weights(p.geometry(N), dlin, x, layer.weight.g.data());
  return dlin;
}

// Both products from the layer's linear-output gradient dlin (layer_output_gradient's), in one
// backend call: a mixed-precision backend converts dlin once for both.
void Network::layer_backward_both(Layer& layer, const float* x, const float* dlin, float* dx, int64_t N,
                                  bool accumulate) {
  Backend& be = *backend_;
  const LayerPlan& p = *layer.plan;
  if (p.kind == LayerKind::kDense)
    be.linear_backward(dlin, x, layer.weight.w.data(), layer.weight.g.data(), p.bias ? layer.bias.g.data() : nullptr,
                       dx, N, p.out.c, p.in.size(), accumulate);
  else
    be.conv_backward(p.geometry(N), dlin, x, layer.weight.w.data(), layer.weight.g.data(), dx, accumulate);
}

void Network::layer_backward_data(const Layer& layer, const float* dlin, float* dx, int64_t N, bool accumulate) {
  const LayerPlan& p = *layer.plan;
  if (p.kind == LayerKind::kDense)
    backend_->linear_backward_data(dlin, layer.weight.w.data(), dx, N, p.out.c, p.in.size(), accumulate);
  else
    backend_->conv_backward_data(p.geometry(N), dlin, layer.weight.w.data(), dx, accumulate);
}

const float* Network::section_forward(Section& s, const float* z, int64_t N, float gate, Pass pass, bool keep,
                                      float* ping) {
  Backend& be = *backend_;
  const PlanOp& op = *s.op;
  const bool runs = gate != 0.f && !s.pruned;
  // Identity skip, no body: z_{l+1} = z_l (with h = ReLU too: validation makes sure z_l >= 0).
  if (!runs && !op.projection) return z;
  float* out = keep ? s.output.data() : ping;
  const int64_t n_out = N * op.out.size();
  if (op.projection) {
    const LayerPlan& p = op.skip;
    if (p.kind == LayerKind::kDense)
      be.linear_forward(z, s.skip.weight.w.data(), nullptr, out, N, p.out.c, p.in.size(), false);
    else
      be.conv_forward(p.geometry(N), z, s.skip.weight.w.data(), out);
  }
  if (runs) {
    const float* x = z;
    for (size_t j = 0; j < s.body.size(); ++j) {
      Layer& layer = s.body[j];
      const Out o = keep ? Out{layer.pre.data(), layer.out.data(), layer.bn.mean.data(), layer.bn.var.data()}
                         : Out{s_pre_.data(), (j % 2 == 0 ? s_x_ : s_y_).data(), s_mean_.data(), s_var_.data()};
      layer_forward(layer, x, N, pass, o);
      x = o.out;
    }
    if (op.projection) {
      be.axpy(gate, x, out, n_out);
      if (op.relu_after) be.relu_forward(out, out, n_out);
    } else {  // the block's sum and the ReLU after it in one pass
      be.add_scaled(z, gate, x, out, n_out, op.relu_after);
    }
  } else if (op.relu_after) {
    be.relu_forward(out, out, n_out);
  }
  return out;
}

const float* Network::forward(int64_t rows, const std::vector<float>& gates, Pass pass) {
  require(rows > 0 && rows <= capacity_, "could not run the forward pass because the batch has ", rows,
          " rows and the workspace holds ", capacity_);
  const float* z = run_ops(0, x_.data(), rows, gates, pass, true, -1, 0.f);
  head_in_ = z;
  head_forward(z, rows, pooled_.data(), logits_.data());
  return logits_.data();
}

const float* Network::run_ops(size_t first, const float* z, int64_t N, const std::vector<float>& gates, Pass pass,
                              bool keep, int32_t override_section, float override_gate) {
  Backend& be = *backend_;
  float* ping = s_ping_.data();
  float* pong = s_pong_.data();
  for (size_t i = first; i < plan_.ops.size(); ++i) {
    const PlanOp& op = plan_.ops[i];
    if (keep) op_in_[i] = z;
    const float* next = z;
    switch (op.kind) {
      case PlanOp::kSection: {
        const float gate = op.index == override_section ? override_gate : gates[op.index];
        next = section_forward(sections_[op.index], z, N, gate, pass, keep, ping);
        break;
      }
      case PlanOp::kLayer: {
        Layer& layer = layers_[op.index];
        const Out o = keep ? Out{layer.pre.data(), layer.out.data(), layer.bn.mean.data(), layer.bn.var.data()}
                           : Out{s_pre_.data(), ping, s_mean_.data(), s_var_.data()};
        layer_forward(layer, z, N, pass, o);
        next = o.out;
        break;
      }
      case PlanOp::kPool: {
        Pool& p = pools_[op.index];
        float* out = keep ? p.out.data() : ping;
        be.maxpool_forward(op.pool_geometry(N), z, out, keep ? p.argmax.data() : s_argmax_.data());
        next = out;
        break;
      }
      case PlanOp::kFlatten:
        next = z;  // NHWC (N, H, W, C) is already (N, 1, 1, H*W*C) in memory
        break;
    }
    if (!keep && next == ping) std::swap(ping, pong);
    z = next;
  }
  return z;
}

void Network::head_forward(const float* z, int64_t N, float* pooled, float* logits) {
  const LayerPlan& h = plan_.head;
  const float* in = z;
  if (plan_.head_pool) {
    const PlanOp& last = plan_.ops.back();
    backend_->global_avgpool_forward(z, pooled, N, last.out.h * last.out.w, h.in.c);
    in = pooled;
  }
  backend_->linear_forward(in, head_.weight.w.data(), head_.bias.w.data(), logits, N, h.out.c, h.in.c, false);
}

double Network::loss(int64_t rows, bool with_gradient, int64_t* correct) {
  return backend_->softmax_cross_entropy(logits_.data(), labels_.data(), rows, arch_.classes,
                                         with_gradient ? dlogits_.data() : nullptr, correct);
}

double Network::backward(int64_t N, const std::vector<float>& gates, Directional want,
                         std::vector<double>* directional) {
  Backend& be = *backend_;
  double extra_flops = 0.0;
  float* g = grad_a_.data();
  float* other = grad_b_.data();
  // Head: dW_h, db_h, then d z_L (through the average pool when there is one).
  const LayerPlan& h = plan_.head;
  be.linear_backward(dlogits_.data(), plan_.head_pool ? pooled_.data() : head_in_, head_.weight.w.data(),
                     head_.weight.g.data(), head_.bias.g.data(), plan_.head_pool ? grad_h_.data() : g, N, h.out.c,
                     h.in.c, false);
  if (plan_.head_pool) {
    const PlanOp& last = plan_.ops.back();
    be.global_avgpool_backward(grad_h_.data(), g, N, last.out.h * last.out.w, h.in.c);
  }
  for (size_t i = plan_.ops.size(); i-- > 0;) {
    const PlanOp& op = plan_.ops[i];
    const float* z = op_in_[i];
    if (op.kind == PlanOp::kFlatten) continue;  // a reinterpretation: the gradient passes as it is
    if (op.kind == PlanOp::kPool) {
      be.maxpool_backward(op.pool_geometry(N), g, pools_[op.index].argmax.data(), other);
      std::swap(g, other);
      continue;
    }
    if (op.kind == PlanOp::kLayer) {
      Layer& layer = layers_[op.index];
      if (i == 0) {  // the stem: the input needs no gradient
        layer_backward_weights(layer, z, g, N);
        break;
      }
      layer_backward_both(layer, z, layer_output_gradient(layer, g, N), other, N, false);
      std::swap(g, other);
      continue;
    }
    const int32_t l = op.index;
    Section& s = sections_[l];
    const bool runs = !s.pruned && gates[l] != 0.f;
    const int64_t n_out = N * op.out.size();
    if (!s.pruned && !runs)  // xi = 0: no data gradient for the body (ALGORITHM 3)
      for (Layer& layer : s.body)
        for (Param* p : {&layer.weight, &layer.bias, &layer.bn.gamma, &layer.bn.beta})
          if (p->g) be.fill(p->g.data(), 0.f, p->g.size());
    if (op.relu_after && (runs || op.projection)) be.relu_backward(s.output.data(), g, n_out);
    if (want != kNoDirectional) {  // g is dL/d zbar_l here, before the section changes it
      (*directional)[l] = 0.0;
      if (runs) {
        (*directional)[l] = be.dot(g, s.body.back().out.data(), n_out);
      } else if (want == kAllLive && !s.pruned) {
        const float* x = z;
        for (size_t j = 0; j < s.body.size(); ++j) {
          const Out o{s_pre_.data(), (j % 2 == 0 ? s_x_ : s_y_).data(), s_mean_.data(), s_var_.data()};
          layer_forward(s.body[j], x, N, kProbe, o);
          x = o.out;
        }
        (*directional)[l] = be.dot(g, x, n_out);
        extra_flops += body_flops_[l] * double(N);
      }
    }
    const float* dfirst = nullptr;  // the gradient of the body's first linear map
    if (runs) {
      // The body's output enters z_{l+1} with factor 1: d body = g. Layers in reverse; a
      // layer with ReLU or BN rewrites its output gradient in place, so g is copied first.
      const size_t n = s.body.size();
      float* dout = g;
      if (s.body.back().plan->relu || s.body.back().plan->batchnorm) {
        be.copy(grad_h_.data(), g, n_out);
        dout = grad_h_.data();
      }
      for (size_t j = n; j-- > 0;) {
        Layer& layer = s.body[j];
        const float* x = j == 0 ? z : s.body[j - 1].out.data();
        if (j == 0) {
          if (op.projection) {  // its data product waits for the skip's, which writes `other` first
            dfirst = layer_backward_weights(layer, x, dout, N);
          } else {  // identity skip: dz_l = g + the body's path, in place
            layer_backward_both(layer, x, layer_output_gradient(layer, dout, N), g, N, true);
          }
          break;
        }
        float* dlin = layer_output_gradient(layer, dout, N);
        float* target = dlin == grad_h_.data() ? grad_h2_.data() : grad_h_.data();
        layer_backward_both(layer, x, dlin, target, N, false);
        dout = target;
      }
    }
    if (op.projection) {  // dz_l = S^T g (+ the body's path); dS = g^T z_l
      const LayerPlan& p = op.skip;
      if (p.kind == LayerKind::kDense)
        be.linear_backward(g, z, s.skip.weight.w.data(), s.skip.weight.g.data(), nullptr, other, N, p.out.c,
                           p.in.size(), false);
      else
        be.conv_backward(p.geometry(N), g, z, s.skip.weight.w.data(), s.skip.weight.g.data(), other, false);
      if (runs) layer_backward_data(s.body.front(), dfirst, other, N, true);
      std::swap(g, other);
    }
  }
  return extra_flops;
}

double Network::rerun_loss(int64_t rows, const std::vector<float>& gates, int32_t from, float gate_from) {
  const size_t first = plan_.op_of_section[from];
  const float* z = run_ops(first, op_in_[first], rows, gates, kProbe, false, from, gate_from);
  head_forward(z, rows, s_pooled_.data(), s_logits_.data());
  return backend_->softmax_cross_entropy(s_logits_.data(), labels_.data(), rows, arch_.classes, nullptr, nullptr);
}

double Network::section_weight_norm2(int32_t l) {
  Section& s = sections_[l];
  if (s.pruned) return 0.0;
  double total = 0.0;
  for (const Layer& layer : s.body) total += backend_->sum_squares(layer.weight.w.data(), layer.weight.w.size());
  return total;
}

void Network::prune(int32_t l, int64_t step) {
  Section& s = sections_[l];
  if (s.pruned) return;
  s.pruned = true;
  s.pruned_at_step = step;
  s.theta = 0.0;
  for (Layer& layer : s.body) {
    for (Param* p : {&layer.weight, &layer.bias, &layer.bn.gamma, &layer.bn.beta}) p->reset();
    for (DeviceBuffer* b : {&layer.bn.running_mean, &layer.bn.running_var, &layer.bn.mean, &layer.bn.var, &layer.pre,
                            &layer.out})
      b->reset();
  }
  if (!s.op->projection) s.output.reset();
  rebuild_param_refs();
}

int64_t Network::param_count() const { return cost::params(plan_, live_mask()); }

double Network::forward_flops(const std::vector<float>& gates, int32_t first) const {
  return cost::forward_flops(plan_, gates, first);
}

namespace {

// Checkpoint names: dense layers "<name>.W/.vW/.b/.vb", conv filters "<name>.w/.v", batch
// norms "<name>.gamma.w/.v", ".beta.w/.v", ".running_mean", ".running_var" (the names the
// MLP and the convolutional network used).
void add_weights(std::vector<StateTensor>& out, const std::string& name, Layer& layer) {
  if (layer.plan->kind == LayerKind::kDense) {
    out.push_back({name + ".W", layer.weight.w.data(), layer.weight.w.size()});
    out.push_back({name + ".vW", layer.weight.v.data(), layer.weight.v.size()});
    if (layer.bias) {
      out.push_back({name + ".b", layer.bias.w.data(), layer.bias.w.size()});
      out.push_back({name + ".vb", layer.bias.v.data(), layer.bias.v.size()});
    }
  } else {
    out.push_back({name + ".w", layer.weight.w.data(), layer.weight.w.size()});
    out.push_back({name + ".v", layer.weight.v.data(), layer.weight.v.size()});
  }
}

void add_batchnorm(std::vector<StateTensor>& out, const std::string& name, BatchNorm& bn) {
  out.push_back({name + ".gamma.w", bn.gamma.w.data(), bn.gamma.w.size()});
  out.push_back({name + ".gamma.v", bn.gamma.v.data(), bn.gamma.v.size()});
  out.push_back({name + ".beta.w", bn.beta.w.data(), bn.beta.w.size()});
  out.push_back({name + ".beta.v", bn.beta.v.data(), bn.beta.v.size()});
  out.push_back({name + ".running_mean", bn.running_mean.data(), bn.running_mean.size()});
  out.push_back({name + ".running_var", bn.running_var.data(), bn.running_var.size()});
}

}  // namespace

std::vector<StateTensor> Network::state_tensors() {
  std::vector<StateTensor> out;
  // Ungated layers: "stem", "t0", "t1", ...; a conv one as "<name>.conv" and "<name>.bn".
  for (size_t i = 0; i < layers_.size(); ++i) {
    Layer& layer = layers_[i];
    const std::string name = i == 0 ? "stem" : "t" + std::to_string(i - 1);
    if (layer.plan->kind == LayerKind::kDense) {
      add_weights(out, name, layer);
    } else {
      add_weights(out, name + ".conv", layer);
      if (layer.plan->batchnorm) add_batchnorm(out, name + ".bn", layer.bn);
    }
  }
  // Sections: "s<l>.proj", then the body: dense layers "fc1", "fc2"; conv layers "conv1",
  // "conv2", "conv3" with batch norms "bn", "bn2".
  for (Section& s : sections_) {
    const std::string name = "s" + std::to_string(s.index);
    if (s.op->projection) add_weights(out, name + ".proj", s.skip);
    if (s.pruned) continue;
    int32_t bns = 0;
    for (size_t j = 0; j < s.body.size(); ++j) {
      Layer& layer = s.body[j];
      const std::string n = std::to_string(j + 1);
      add_weights(out, name + (layer.plan->kind == LayerKind::kDense ? ".fc" : ".conv") + n, layer);
      if (layer.plan->batchnorm) {
        ++bns;
        add_batchnorm(out, name + ".bn" + (bns == 1 ? std::string() : std::to_string(bns)), layer.bn);
      }
    }
  }
  add_weights(out, "head", head_);
  return out;
}

void Network::rebuild_param_refs() {
  param_refs_.clear();
  // Weight decay on the ungated layers' weights, projections and the head's weight; the prior
  // on the section bodies' matrices and filters (W_l, cost::section_weights).
  auto add = [this](Param& p, bool decayed, int32_t prior_section = -1) {
    if (p) param_refs_.push_back({p.w.data(), p.v.data(), p.g.data(), p.w.size(), decayed, prior_section});
  };
  auto add_layer = [&](Layer& layer, bool decayed, int32_t prior_section = -1) {
    add(layer.weight, decayed, prior_section);
    add(layer.bias, false);
    add(layer.bn.gamma, false);
    add(layer.bn.beta, false);
  };
  for (Layer& layer : layers_) add_layer(layer, true);
  for (Section& s : sections_) {
    if (s.op->projection) add(s.skip.weight, true);
    if (s.pruned) continue;
    for (Layer& layer : s.body) add_layer(layer, false, s.index);
  }
  add_layer(head_, true);
}

std::vector<float> Network::download(const DeviceBuffer& buffer) {
  std::vector<float> host(static_cast<size_t>(buffer.size()));
  backend_->to_host(host.data(), buffer.data(), sizeof(float) * host.size());
  return host;
}

}  // namespace layerprune
