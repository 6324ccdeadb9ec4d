#include "export/export_graph.h"

#include <algorithm>

#include "backend/backend.h"
#include "core/error.h"

namespace layerprune {

const char* export_op_name(ExportOpKind kind) {
  switch (kind) {
    case ExportOpKind::kDense: return "dense";
    case ExportOpKind::kConv: return "conv";
    case ExportOpKind::kAdd: return "add";
    case ExportOpKind::kMaxPool: return "maxpool";
    case ExportOpKind::kGlobalAvgPool: return "global-avgpool";
    case ExportOpKind::kFlatten: return "flatten";
  }
  return "unknown";
}

int64_t ExportGraph::params() const {
  int64_t n = 0;
  for (const ExportTensor& t : tensors) n += static_cast<int64_t>(t.data.size());
  return n;
}

double ExportGraph::flops_per_sample() const {
  double total = 0.0;
  for (const ExportOp& op : ops) {
    if (op.kind != ExportOpKind::kDense && op.kind != ExportOpKind::kConv) continue;
    const ExportShape& out = values[op.output];
    // weight entries x output positions x 2 (one multiply-add per weight and position)
    total += 2.0 * double(tensors[op.weight].data.size()) * double(out.h * out.w);
  }
  return total;
}

int64_t ExportGraph::max_activation() const {
  int64_t m = 0;
  for (const ExportShape& v : values) m = std::max(m, v.size());
  return m;
}

void ExportGraph::validate() const {
  const auto bad = [](auto&&... parts) { fail("could not use the exported network because ", parts...); };
  if (values.empty()) bad("it has no input value");
  for (size_t i = 0; i < values.size(); ++i) {
    const ExportShape& v = values[i];
    if (v.c <= 0 || v.h <= 0 || v.w <= 0 || v.c > (int64_t(1) << 26) || v.h > 65536 || v.w > 65536 ||
        v.size() > (int64_t(1) << 28))
      bad("value ", i, " has the invalid shape ", v.c, "x", v.h, "x", v.w);
  }
  if (classes < 2) bad("it has ", classes, " classes");
  for (size_t i = 0; i < tensors.size(); ++i) {
    int64_t n = 1;
    for (int64_t d : tensors[i].shape) {
      if (d <= 0 || d > (int64_t(1) << 30)) bad("tensor ", i, " has a dimension of ", d);
      n *= d;
      if (n > (int64_t(1) << 31)) bad("tensor ", i, " is unreasonably large");
    }
    if (tensors[i].shape.empty() || n != static_cast<int64_t>(tensors[i].data.size()))
      bad("tensor ", i, " holds ", tensors[i].data.size(), " floats but its shape says ", n);
  }
  std::vector<bool> defined(values.size(), false);
  defined[0] = true;
  const auto value = [&](int32_t v, size_t op, const char* role) -> const ExportShape& {
    if (v < 0 || size_t(v) >= values.size()) bad("op ", op, " names the missing ", role, " value ", v);
    return values[v];
  };
  const auto tensor = [&](int32_t t, size_t op, std::vector<int64_t> shape, const char* role) {
    if (t < 0 || size_t(t) >= tensors.size()) bad("op ", op, " names the missing ", role, " tensor ", t);
    if (tensors[t].shape != shape) bad("op ", op, "'s ", role, " tensor ", t, " does not have the shape the op needs");
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const ExportOp& op = ops[i];
    const ExportShape& in = value(op.input, i, "input");
    const ExportShape& out = value(op.output, i, "output");
    if (!defined[op.input]) bad("op ", i, " reads value ", op.input, " before any op writes it");
    if (defined[op.output]) bad("op ", i, " writes value ", op.output, " a second time");
    ExportShape want;
    switch (op.kind) {
      case ExportOpKind::kDense:
        if (in.h != 1 || in.w != 1) bad("dense op ", i, " has a spatial input");
        tensor(op.weight, i, {out.c, in.c}, "weight");
        want = {out.c, 1, 1};
        break;
      case ExportOpKind::kConv:
        if (op.kernel < 1 || op.stride < 1 || op.pad < 0 || op.pad >= op.kernel || op.kernel > 64 || op.stride > 64)
          bad("conv op ", i, " has kernel ", op.kernel, ", stride ", op.stride, ", pad ", op.pad);
        tensor(op.weight, i, {out.c, in.c, op.kernel, op.kernel}, "weight");
        want = {out.c, (in.h + 2 * op.pad - op.kernel) / op.stride + 1, (in.w + 2 * op.pad - op.kernel) / op.stride + 1};
        if (in.h + 2 * op.pad < op.kernel || in.w + 2 * op.pad < op.kernel) bad("conv op ", i, " has a too small input");
        break;
      case ExportOpKind::kAdd: {
        const ExportShape& in2 = value(op.input2, i, "second input");
        if (!defined[op.input2]) bad("op ", i, " reads value ", op.input2, " before any op writes it");
        if (!(in2 == in)) bad("add op ", i, " adds values of different shapes");
        want = in;
        break;
      }
      case ExportOpKind::kMaxPool:
        if (op.kernel < 1 || op.stride < 1 || op.pad < 0 || 2 * op.pad > op.kernel || op.kernel > 64 || op.stride > 64)
          bad("maxpool op ", i, " has kernel ", op.kernel, ", stride ", op.stride, ", pad ", op.pad);
        want = {in.c, PoolGeometry::out_size(in.h, op.kernel, op.stride, op.pad, op.ceil),
                PoolGeometry::out_size(in.w, op.kernel, op.stride, op.pad, op.ceil)};
        if (want.h < 1 || want.w < 1) bad("maxpool op ", i, " has a too small input");
        break;
      case ExportOpKind::kGlobalAvgPool: want = {in.c, 1, 1}; break;
      case ExportOpKind::kFlatten: want = {in.size(), 1, 1}; break;
      default: bad("op ", i, " has the unknown kind ", static_cast<int32_t>(op.kind));
    }
    if (op.kind != ExportOpKind::kAdd && op.input2 != -1) bad("op ", i, " has a second input it does not use");
    if (op.bias != -1) {
      if (op.kind != ExportOpKind::kDense && op.kind != ExportOpKind::kConv) bad("op ", i, " has a bias it cannot use");
      tensor(op.bias, i, {out.c}, "bias");
    }
    if (op.weight != -1 && op.kind != ExportOpKind::kDense && op.kind != ExportOpKind::kConv)
      bad("op ", i, " has a weight it cannot use");
    if (!(out == want)) bad(export_op_name(op.kind), " op ", i, " has an output shape that does not follow from its input");
    defined[op.output] = true;
  }
  if (output < 0 || size_t(output) >= values.size() || !defined[output])
    bad("its output value ", output, " is never written");
  if (!(values[output] == ExportShape{classes, 1, 1})) bad("its output is not (", classes, ") logits");
}

}  // namespace layerprune
