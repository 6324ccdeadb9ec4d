// build_export_graph: reads the surviving weights of a ResidualMlp or ResidualConvNet
// and emits the deterministic network's ops, folding linear maps as it goes.
#include <cmath>

#include "core/error.h"
#include "export/export_graph.h"
#include "layerprune/api.h"
#include "model/residual_convnet.h"
#include "model/residual_mlp.h"

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

  int32_t simple(ExportOpKind kind, int32_t in) {
    const ExportShape& s = g_.values[in];
    ExportShape out = s;
    if (kind == ExportOpKind::kMaxPool) out = {s.c, (s.h + 1) / 2, (s.w + 1) / 2};
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
};

ExportGraph build_mlp(ResidualMlp& m, const std::vector<float>& gates) {
  const MlpArchitecture& a = m.architecture();
  GraphBuilder b(m.backend(), {a.input, 1, 1}, false);
  int32_t z = b.dense(0, b.host(m.stem().W), b.host(m.stem().b), a.stem_width, true);
  int32_t kept = 0;
  for (int32_t l = 0; l < a.sections(); ++l) {
    const Section& s = m.section(l);
    if (gates[l] == 0.f) {  // z_{l+1} = S_l(z_l): the identity vanishes, a projection stays linear
      if (s.proj.W) z = b.dense(z, b.host(s.proj.W), {}, s.out, false);
      continue;
    }
    ++kept;
    b.pin(z);
    const int32_t h = b.dense(z, b.host(s.fc1.W), b.host(s.fc1.b), s.out, true);
    const int32_t body = b.dense(h, b.host(s.fc2.W), b.host(s.fc2.b), s.out, false);
    const int32_t skip = s.proj.W ? b.dense(z, b.host(s.proj.W), {}, s.out, false) : z;
    z = b.add(skip, body, false);
  }
  z = b.dense(z, b.host(m.head().W), b.host(m.head().b), a.classes, false);
  b.graph().source = "residual-mlp";
  b.graph().sections_total = a.sections();
  b.graph().sections_kept = kept;
  return b.finish(z, a.classes);
}

// conv(x, W) followed by BN (running statistics): conv(x, W * s) + (beta - mean * s)
// with s = gamma / sqrt(var + eps) per output channel.
void fold_batchnorm(GraphBuilder& b, const BatchNorm& bn, std::vector<float>& W, std::vector<float>& bias) {
  const std::vector<float> gamma = b.host(bn.gamma.w), beta = b.host(bn.beta.w);
  const std::vector<float> mean = b.host(bn.running_mean), var = b.host(bn.running_var);
  const int64_t K = bn.channels, per = static_cast<int64_t>(W.size()) / K;
  bias.assign(static_cast<size_t>(K), 0.f);
  for (int64_t k = 0; k < K; ++k) {
    const double s = double(gamma[k]) / std::sqrt(double(var[k]) + double(ResidualConvNet::kBatchNormEps));
    for (int64_t i = 0; i < per; ++i) W[k * per + i] = float(double(W[k * per + i]) * s);
    bias[k] = float(double(beta[k]) - double(mean[k]) * s);
  }
  ++b.graph().folded_batchnorms;
}

ExportGraph build_convnet(ResidualConvNet& m, const std::vector<float>& gates) {
  const ConvNetArchitecture& a = m.architecture();
  GraphBuilder b(m.backend(), {a.in_channels, a.height, a.width}, true);
  std::vector<float> W = b.host(m.stem_filter().w), bias;
  fold_batchnorm(b, m.stem_batchnorm(), W, bias);
  int32_t z = b.conv(0, std::move(W), std::move(bias), a.stem_channels, a.stem_kernel, 1, a.stem_kernel / 2, true);
  int32_t kept = 0;
  for (const ConvOp& op : a.plan()) {
    if (op.kind == ConvOp::kPool) {
      z = b.simple(ExportOpKind::kMaxPool, z);
    } else if (op.kind == ConvOp::kFlatten) {
      z = b.simple(ExportOpKind::kFlatten, z);
    } else if (op.kind == ConvOp::kTransition) {
      const Transition& t = m.transition(op.index);
      W = b.host(t.conv.w);
      fold_batchnorm(b, t.bn, W, bias);
      z = b.conv(z, std::move(W), std::move(bias), op.out_c, op.kernel, 1, op.pad, true);
    } else {
      const ConvSection& s = m.section(op.index);
      const bool h_relu = a.post_activation;
      if (gates[op.index] == 0.f) {  // identity skip vanishes (z >= 0 when h = ReLU)
        if (s.proj.w) z = b.conv(z, b.host(s.proj.w), {}, op.out_c, 1, op.stride, 0, h_relu);
        continue;
      }
      ++kept;
      b.pin(z);
      W = b.host(s.conv1.w);
      fold_batchnorm(b, s.bn, W, bias);
      int32_t body = b.conv(z, std::move(W), std::move(bias), op.out_c, op.kernel, op.stride, op.pad, true);
      if (!op.plain) body = b.conv(body, b.host(s.conv2.w), {}, op.out_c, op.kernel, 1, op.pad, false);
      const int32_t skip = s.proj.w ? b.conv(z, b.host(s.proj.w), {}, op.out_c, 1, op.stride, 0, false) : z;
      z = b.add(skip, body, h_relu);
    }
  }
  z = b.simple(ExportOpKind::kGlobalAvgPool, z);
  z = b.dense(z, b.host(m.head_weights().w), b.host(m.head_bias().w), a.classes, false);
  b.graph().source = "convnet";
  b.graph().post_activation = a.post_activation;
  b.graph().sections_total = a.sections();
  b.graph().sections_kept = kept;
  return b.finish(z, a.classes);
}

}  // namespace

ExportGraph build_export_graph(GatedNetwork& model) {
  std::vector<float> gates;
  model.eval_gates(EVAL_DETERMINISTIC, gates);
  if (auto* mlp = dynamic_cast<ResidualMlp*>(&model)) return build_mlp(*mlp, gates);
  if (auto* conv = dynamic_cast<ResidualConvNet*>(&model)) return build_convnet(*conv, gates);
  fail("could not export the model because its network type is not supported");
}

}  // namespace layerprune
