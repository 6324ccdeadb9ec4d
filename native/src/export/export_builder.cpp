// build_export_graph: walks the plan of a Network, reads its surviving weights and emits the
// deterministic network's ops, folding linear maps and batch norms as it goes.
#include <cmath>
#include <map>

#include "core/error.h"
#include "export/export_graph.h"
#include "layerprune/types.h"
#include "model/architecture_json.h"
#include "model/network.h"

namespace layerprune {
namespace {

// Appends ops to a graph. A value produced by a purely linear op (dense or 1x1 pad-0
// conv, no ReLU) that nothing has consumed yet is "pending": the next linear op of the
// same kind on it composes with it instead of becoming a second op (ALGORITHM.md 5).
class GraphBuilder {
 public:
  GraphBuilder(Backend& be, ExportShape input, bool image) : be_(be) {
    g_.image_input = image;
    g_.values.push_back(input);
    uses_.push_back(0);
  }

  std::vector<float> host(const DeviceBuffer& b) {
    std::vector<float> v(static_cast<size_t>(b.size()));
    be_.to_host(v.data(), b.data(), sizeof(float) * v.size());
    return v;
  }

  // A second consumer will read `v` (a residual block's skip): it cannot fold.
  void pin(int32_t v) { ++uses_[v]; }

  int32_t dense(int32_t in, std::vector<float> W, std::vector<float> b, int64_t out, bool relu) {
    if (g_.values[in].h != 1 || g_.values[in].w != 1) {  // its H*W*C features (NHWC), flattened once
      const auto it = flattened_.find(in);
      in = it != flattened_.end() ? it->second : (flattened_[in] = simple(ExportOpKind::kFlatten, in));
    }
    const int64_t c = g_.values[in].c;
    return linear(ExportOpKind::kDense, in, std::move(W), std::move(b), out, c, 1, 1, 0, relu, {out, 1, 1});
  }

  int32_t conv(int32_t in, std::vector<float> W, std::vector<float> b, int64_t out, int64_t kernel, int64_t stride,
               int64_t pad, bool relu) {
    const ExportShape& s = g_.values[in];
    const ExportShape shape{out, (s.h + 2 * pad - kernel) / stride + 1, (s.w + 2 * pad - kernel) / stride + 1};
    return linear(ExportOpKind::kConv, in, std::move(W), std::move(b), out, s.c, kernel, stride, pad, relu, shape);
  }

  int32_t add(int32_t a, int32_t b, bool relu) {
    ExportOp op;
    op.kind = ExportOpKind::kAdd;
    op.input2 = b;
    ++uses_[b];
    op.relu = relu;
    return emit(op, a, g_.values[a]);
  }

  int32_t maxpool(int32_t in, const PoolSpec& p) {
    const ExportShape& s = g_.values[in];
    ExportOp op;
    op.kind = ExportOpKind::kMaxPool;
    op.kernel = p.kernel, op.stride = p.stride, op.pad = p.pad, op.ceil = p.ceil;
    return emit(op, in,
                {s.c, PoolGeometry::out_size(s.h, p.kernel, p.stride, p.pad, p.ceil),
                 PoolGeometry::out_size(s.w, p.kernel, p.stride, p.pad, p.ceil)});
  }

  int32_t simple(ExportOpKind kind, int32_t in) {
    const ExportShape& s = g_.values[in];
    ExportShape out = s;
    if (kind == ExportOpKind::kGlobalAvgPool) out = {s.c, 1, 1};
    if (kind == ExportOpKind::kFlatten) out = {s.size(), 1, 1};
    ExportOp op;
    op.kind = kind;
    return emit(op, in, out);
  }

  ExportGraph finish(int32_t output, int32_t classes) {
    g_.output = output;
    g_.classes = classes;
    g_.validate();
    return std::move(g_);
  }
  ExportGraph& graph() { return g_; }

 private:
  int32_t emit(ExportOp op, int32_t in, ExportShape out) {
    op.input = in;
    ++uses_[in];
    op.output = static_cast<int32_t>(g_.values.size());
    g_.values.push_back(out);
    uses_.push_back(0);
    g_.ops.push_back(op);
    return op.output;
  }

  int32_t add_tensor(std::vector<int64_t> shape, std::vector<float> data) {
    g_.tensors.push_back({std::move(shape), std::move(data)});
    return static_cast<int32_t>(g_.tensors.size()) - 1;
  }

  // Whether `in` is the pending output of the last op, a matrix-like linear map of `kind`.
  bool pending(int32_t in, ExportOpKind kind) const {
    if (g_.ops.empty() || uses_[in] != 0 || g_.ops.back().output != in) return false;
    const ExportOp& last = g_.ops.back();
    return last.kind == kind && !last.relu && last.kernel == 1 && last.pad == 0;
  }

  int32_t linear(ExportOpKind kind, int32_t in, std::vector<float> W, std::vector<float> b, int64_t out, int64_t c,
                 int64_t kernel, int64_t stride, int64_t pad, bool relu, ExportShape shape) {
    if (kernel == 1 && pad == 0 && pending(in, kind)) {
      // y = W2 (W1 x + b1) + b2 = (W2 W1) x + (W2 b1 + b2): compose when the composite
      // holds no more weights than the two maps (a bottleneck would grow otherwise).
      ExportOp& last = g_.ops.back();
      const int64_t mid = c, first_in = g_.values[last.input].c;
      if (out * first_in <= out * mid + mid * first_in) {
        const std::vector<float>& W1 = g_.tensors[last.weight].data;
        std::vector<float> W21(static_cast<size_t>(out * first_in), 0.f);
        for (int64_t o = 0; o < out; ++o)
          for (int64_t m = 0; m < mid; ++m) {
            const double w2 = W[o * mid + m];
            for (int64_t i = 0; i < first_in; ++i) W21[o * first_in + i] += float(w2 * W1[m * first_in + i]);
          }
        std::vector<float> b21;
        if (last.bias >= 0 || !b.empty()) {
          b21.assign(static_cast<size_t>(out), 0.f);
          for (int64_t o = 0; o < out; ++o) {
            double s = b.empty() ? 0.0 : b[o];
            if (last.bias >= 0)
              for (int64_t m = 0; m < mid; ++m) s += double(W[o * mid + m]) * g_.tensors[last.bias].data[m];
            b21[o] = float(s);
          }
        }
        // The composite replaces the last op (its tensors are overwritten in place).
        g_.tensors[last.weight] = {kind == ExportOpKind::kDense ? std::vector<int64_t>{out, first_in}
                                                                : std::vector<int64_t>{out, first_in, 1, 1},
                                   std::move(W21)};
        if (!b21.empty()) {
          if (last.bias >= 0)
            g_.tensors[last.bias] = {{out}, std::move(b21)};
          else
            last.bias = add_tensor({out}, std::move(b21));
        }
        last.stride *= stride;  // 1x1 pad-0 convs: sampling every s1-th, then every s2-th
        last.relu = relu;
        const ExportShape& src = g_.values[last.input];
        g_.values[in] = kind == ExportOpKind::kDense
                            ? ExportShape{out, 1, 1}
                            : ExportShape{out, (src.h - 1) / last.stride + 1, (src.w - 1) / last.stride + 1};
        ++g_.folded_maps;
        return in;
      }
    }
    ExportOp op;
    op.kind = kind;
    op.kernel = kernel, op.stride = stride, op.pad = pad, op.relu = relu;
    op.weight = add_tensor(kind == ExportOpKind::kDense ? std::vector<int64_t>{out, c}
                                                        : std::vector<int64_t>{out, c, kernel, kernel},
                           std::move(W));
    if (!b.empty()) op.bias = add_tensor({out}, std::move(b));
    return emit(op, in, shape);
  }

  Backend& be_;
  ExportGraph g_;
  std::vector<int32_t> uses_;  // consumers of each value so far
  std::map<int32_t, int32_t> flattened_;  // a spatial value's flatten, for its dense consumers
};

// conv(x, W) followed by BN (running statistics): conv(x, W * s) + (beta - mean * s)
// with s = gamma / sqrt(var + eps) per output channel.
void fold_batchnorm(GraphBuilder& b, const BatchNorm& bn, std::vector<float>& W, std::vector<float>& bias) {
  const std::vector<float> gamma = b.host(bn.gamma.w), beta = b.host(bn.beta.w);
  const std::vector<float> mean = b.host(bn.running_mean), var = b.host(bn.running_var);
  const int64_t K = bn.channels, per = static_cast<int64_t>(W.size()) / K;
  bias.assign(static_cast<size_t>(K), 0.f);
  for (int64_t k = 0; k < K; ++k) {
    const double s = double(gamma[k]) / std::sqrt(double(var[k]) + double(BatchNorm::kEps));
    for (int64_t i = 0; i < per; ++i) W[k * per + i] = float(double(W[k * per + i]) * s);
    bias[k] = float(double(beta[k]) - double(mean[k]) * s);
  }
  ++b.graph().folded_batchnorms;
}

// One layer of the network: its linear map with the bias (dense) or the folded BN (conv), and
// its ReLU; `relu` overrides the layer's own for a projection followed by h = ReLU.
int32_t emit_layer(GraphBuilder& b, int32_t in, const Layer& layer, bool relu) {
  const LayerPlan& p = *layer.plan;
  std::vector<float> W = b.host(layer.weight.w), bias;
  if (p.kind == LayerKind::kDense) {
    if (layer.bias) bias = b.host(layer.bias.w);
    return b.dense(in, std::move(W), std::move(bias), p.out.c, relu);
  }
  if (p.batchnorm) fold_batchnorm(b, layer.bn, W, bias);
  return b.conv(in, std::move(W), std::move(bias), p.out.c, p.kernel, p.stride, p.pad, relu);
}

}  // namespace

ExportGraph build_export_graph(Network& m) {
  std::vector<float> gates;
  m.eval_gates(EVAL_DETERMINISTIC, gates);
  const Plan& plan = m.plan();
  const Architecture& a = m.architecture();
  GraphBuilder b(m.backend(), {plan.input.c, plan.input.h, plan.input.w}, a.image);
  int32_t z = 0, kept = 0;
  bool post_activation = false;
  for (const PlanOp& op : plan.ops) {
    switch (op.kind) {
      case PlanOp::kLayer: {
        const Layer& layer = m.layer(op.index);
        z = emit_layer(b, z, layer, layer.plan->relu);
        break;
      }
      case PlanOp::kPool:
        z = b.maxpool(z, op.pool);
        break;
      case PlanOp::kFlatten:
        z = b.simple(ExportOpKind::kFlatten, z);
        break;
      case PlanOp::kSection: {
        const Section& s = m.section(op.index);
        post_activation = post_activation || op.relu_after;
        if (gates[op.index] == 0.f) {  // z_{l+1} = h(S_l(z_l)): the identity vanishes (z >= 0 when h = ReLU)
          if (op.projection) z = emit_layer(b, z, s.skip, op.relu_after);
          break;
        }
        ++kept;
        b.pin(z);
        int32_t body = z;
        for (const Layer& layer : s.body) body = emit_layer(b, body, layer, layer.plan->relu);
        const int32_t skip = op.projection ? emit_layer(b, z, s.skip, false) : z;
        z = b.add(skip, body, op.relu_after);
        break;
      }
    }
  }
  if (plan.head_pool) z = b.simple(ExportOpKind::kGlobalAvgPool, z);
  z = emit_layer(b, z, m.head(), false);
  b.graph().source = "gated-network";
  b.graph().architecture = to_json(a);
  b.graph().post_activation = post_activation;
  b.graph().sections_total = plan.sections();
  b.graph().sections_kept = kept;
  return b.finish(z, a.classes);
}

}  // namespace layerprune
