// The exported network: the deterministic final network of a trained model as an
// inference-only graph (ALGORITHM.md section 5). Host data only: a list of ops over
// values (per-sample activations, NHWC) and the surviving weights, nothing else (no
// gradients, no momentum, no pruned section). ExportedNetwork runs it on a Backend,
// export_file reads and writes it, the Java ONNX writer walks it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace layerprune {

class Network;

// Per-sample shape of a value (NHWC): channels x height x width; dense values are (n, 1, 1).
struct ExportShape {
  int64_t c = 0, h = 1, w = 1;
  int64_t size() const { return c * h * w; }
  bool operator==(const ExportShape& o) const { return c == o.c && h == o.h && w == o.w; }
};

enum class ExportOpKind : int32_t {
  kDense = 0,          // y (n, K) = x (n, C) W (K, C)^T [+ b], input (C, 1, 1)
  kConv = 1,           // y = conv(x, W (K, C, k, k), stride, pad) [+ b], NHWC
  kAdd = 2,            // y = x + x2 (same shapes)
  kMaxPool = 3,        // kernel x kernel windows, stride, pad, floor or ceil mode (2x2/2 ceil: VGG, LeNet)
  kGlobalAvgPool = 4,  // (C, H, W) -> (C, 1, 1)
  kFlatten = 5,        // (C, H, W) -> (H*W*C, 1, 1) in NHWC order (a no-op in memory)
};
const char* export_op_name(ExportOpKind kind);

struct ExportOp {
  ExportOpKind kind = ExportOpKind::kDense;
  int32_t input = 0, input2 = -1, output = 0;  // value indices
  int32_t weight = -1, bias = -1;              // tensor indices (-1: none)
  int64_t kernel = 1, stride = 1, pad = 0;     // conv, max pool
  bool relu = false;                           // ReLU after the op
  bool ceil = false;                           // max pool: ceil mode (PoolGeometry)
};

struct ExportTensor {
  std::vector<int64_t> shape;  // dense (K, C); conv (K, C, k, k); bias (K)
  std::vector<float> data;
};

struct ExportGraph {
  bool image_input = false;  // input is an NHWC image (else a feature vector)
  std::vector<ExportShape> values;  // values[0] is the input
  std::vector<ExportOp> ops;        // in execution order; each writes a new value
  std::vector<ExportTensor> tensors;
  int32_t output = 0;  // the logits value
  int32_t classes = 0;

  // Provenance and what folding did (reports, inspect).
  std::string source;        // "gated-network" (the builder's name)
  std::string architecture;  // the source's description (model/architecture_json.h), "" for old files
  int32_t sections_total = 0, sections_kept = 0;
  int32_t folded_maps = 0;        // linear maps composed into their successor
  int32_t folded_batchnorms = 0;  // batch norms folded into the preceding conv (scale + bias)
  bool post_activation = false;

  const ExportShape& input() const { return values.front(); }
  int64_t input_size() const { return values.empty() ? 0 : values.front().size(); }
  int64_t params() const;               // floats held by the tensors
  double flops_per_sample() const;      // 2 per multiply-add of dense and conv ops
  int64_t max_activation() const;       // largest per-sample value (floats)
  // Raises Error naming the first inconsistency (indices, shapes, tensor sizes): the
  // loader calls it so a crafted file cannot make the executor read out of bounds.
  void validate() const;
};

// The deterministic network of `model` (sections with theta >= 0.5 kept with xi = 1,
// the others and the pruned ones removed) with linear maps folded (ALGORITHM.md 5):
// an identity-skip section that does not run vanishes; consecutive linear maps (dense
// projections, 1x1 pad-0 projection convolutions, a projection followed by the dense
// head) compose into one when the composite is no larger; with h = ReLU nothing folds
// across the ReLU. Batch norms (running statistics) fold into the preceding
// convolution as a per-channel scale on its filter and a bias.
ExportGraph build_export_graph(Network& model);

}  // namespace layerprune
