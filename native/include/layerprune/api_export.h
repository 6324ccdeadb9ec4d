// layerprune C API, export: the deterministic final network of a trained model as an
// inference-only network (ALGORITHM.md section 5: pruned sections removed, linear maps
// folded, batch norms folded into their convolutions), its file, and its graph for
// writers of other formats (the Java ONNX writer). Same conventions as api.h: opaque
// handles, POD structs, errors as layerprune::Error ("could not X because Y").
#pragma once
#include <cstdint>

#include "layerprune/api.h"

namespace layerprune {

struct ExportedModel;  // the inference-only network: surviving weights and a workspace

// Op kinds of the exported graph (activations NHWC, per-sample shapes channels x height x width).
enum ExportOpKindCode {
  EXPORT_OP_DENSE = 0,            // y (K) = W (K, C) x (C) [+ b]; input is (C, 1, 1)
  EXPORT_OP_CONV = 1,             // y = conv(x, W (K, C, k, k), stride, symmetric zero pad) [+ b]
  EXPORT_OP_ADD = 2,              // y = x + x2
  EXPORT_OP_MAXPOOL = 3,          // kernel x kernel windows, stride, symmetric pad (never the max), floor or ceil mode
  EXPORT_OP_GLOBAL_AVGPOOL = 4,   // (C, H, W) -> (C, 1, 1)
  EXPORT_OP_FLATTEN = 5           // (C, H, W) -> (H*W*C, 1, 1), NHWC order
};

struct ExportSummary {
  int64_t input_size;        // features per sample
  int32_t image_input;       // 1: the input is an NHWC image of channels x height x width
  int64_t channels, height, width;
  int32_t classes;
  int32_t values;            // graph values (values[0] is the input)
  int32_t ops;
  int32_t tensors;
  int32_t output;            // the logits value
  int64_t params;            // floats of weights held
  double flops_per_sample;   // 2 per multiply-add
  int32_t sections_total;    // gated sections of the source model
  int32_t sections_kept;     // sections in the exported network
  int32_t folded_maps;       // linear maps composed into their successor
  int32_t folded_batchnorms; // batch norms folded into convolutions
  int32_t post_activation;   // the source had h = ReLU after each section
};

struct ExportValueInfo {
  int64_t channels, height, width;
};

struct ExportOpInfo {
  int32_t kind;  // ExportOpKindCode
  int32_t input, input2, output;  // value indices (input2 = -1 unless ADD)
  int32_t weight, bias;           // tensor indices (-1: none)
  int64_t kernel, stride, pad;
  int32_t relu;                   // ReLU after the op
  int32_t ceil;                   // MAXPOOL: 1 ceil mode (a last partial window pools alone), 0 floor mode
};

// Builds the exported network of the model's deterministic network, in memory.
ExportedModel* exported_from_model(Model* model);
// Writes it atomically ("LPEXPORT" container, checksummed); `metadata` (may be null)
// is stored as is (the Java API stores the source spec as JSON).
void exported_save(const ExportedModel* exported, const char* path, const char* metadata);
// Reads and validates a file written by exported_save.
ExportedModel* exported_load(const char* path);
void exported_destroy(ExportedModel* exported);
// Precision of the exported network's matrix products (Precision; model_set_precision's rules).
void exported_set_precision(ExportedModel* exported, int32_t precision);
int32_t exported_precision(ExportedModel* exported);
void exported_summary(const ExportedModel* exported, ExportSummary* out);
const char* exported_metadata(const ExportedModel* exported);
// The source model's architecture description (JSON; "" for files written before version 2).
const char* exported_architecture(const ExportedModel* exported);
void exported_value(const ExportedModel* exported, int32_t index, ExportValueInfo* out);
void exported_op(const ExportedModel* exported, int32_t index, ExportOpInfo* out);
int32_t exported_tensor_rank(const ExportedModel* exported, int32_t index);
// shape_out: exported_tensor_rank() values.
void exported_tensor_shape(const ExportedModel* exported, int32_t index, int64_t* shape_out);
int64_t exported_tensor_size(const ExportedModel* exported, int32_t index);
// data_out: exported_tensor_size() floats.
void exported_tensor_data(const ExportedModel* exported, int32_t index, float* data_out);
// logits_out: count * classes floats.
void exported_predict(ExportedModel* exported, const float* features, int64_t count, float* logits_out);
void exported_evaluate(ExportedModel* exported, const Dataset* data, EvalStats* out);
int64_t exported_native_bytes(const ExportedModel* exported);

}  // namespace layerprune
