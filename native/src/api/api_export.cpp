// The export C API: argument checks and handle bookkeeping; the work is in export/.
#include "layerprune/api_export.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "api/model_access.h"
#include "core/error.h"
#include "export/export_file.h"
#include "export/exported_network.h"

namespace layerprune {

struct ExportedModel {
  std::unique_ptr<ExportedNetwork> net;
  std::string metadata;
};

namespace {

const ExportedModel& live(const ExportedModel* e) {
  require(e != nullptr && e->net != nullptr, "the exported model handle is null (closed or never created)");
  return *e;
}
ExportedModel& live(ExportedModel* e) { return const_cast<ExportedModel&>(live(static_cast<const ExportedModel*>(e))); }
const ExportGraph& graph(const ExportedModel* e) { return live(e).net->graph(); }

ExportedModel* wrap(ExportGraph g, std::string metadata) {
  auto e = std::make_unique<ExportedModel>();
  e->net = std::make_unique<ExportedNetwork>(std::move(g), make_cpu_backend());
  e->metadata = std::move(metadata);
  return e.release();
}

// The index-th value, op or tensor of a graph, after a bounds check that names `what`.
template <typename T>
const T& item(const std::vector<T>& items, int32_t index, const char* what) {
  require(index >= 0 && size_t(index) < items.size(), what, " index ", index, " is outside [0, ", items.size(), ")");
  return items[index];
}

const ExportTensor& tensor(const ExportedModel* e, int32_t index) { return item(graph(e).tensors, index, "tensor"); }

}  // namespace

ExportedModel* exported_from_model(Model* model) { return wrap(build_export_graph(network_of(model)), ""); }

void exported_save(const ExportedModel* e, const char* path, const char* metadata) {
  require(path != nullptr && *path != '\0', "could not save the exported network because the path is empty");
  write_export_file(graph(e), metadata ? metadata : "", path);
}

ExportedModel* exported_load(const char* path) {
  require(path != nullptr && *path != '\0', "could not load an exported network because the path is empty");
  std::string metadata;
  ExportGraph g = read_export_file(path, &metadata);
  return wrap(std::move(g), std::move(metadata));
}

void exported_destroy(ExportedModel* e) { delete e; }

void exported_summary(const ExportedModel* e, ExportSummary* out) {
  const ExportGraph& g = graph(e);
  require(out != nullptr, "the export summary pointer is null");
  out->input_size = g.input_size();
  out->image_input = g.image_input ? 1 : 0;
  out->channels = g.input().c, out->height = g.input().h, out->width = g.input().w;
  out->classes = g.classes;
  out->values = static_cast<int32_t>(g.values.size());
  out->ops = static_cast<int32_t>(g.ops.size());
  out->tensors = static_cast<int32_t>(g.tensors.size());
  out->output = g.output;
  out->params = g.params();
  out->flops_per_sample = g.flops_per_sample();
  out->sections_total = g.sections_total;
  out->sections_kept = g.sections_kept;
  out->folded_maps = g.folded_maps;
  out->folded_batchnorms = g.folded_batchnorms;
  out->post_activation = g.post_activation ? 1 : 0;
}

const char* exported_metadata(const ExportedModel* e) { return live(e).metadata.c_str(); }
const char* exported_architecture(const ExportedModel* e) { return graph(e).architecture.c_str(); }

void exported_value(const ExportedModel* e, int32_t index, ExportValueInfo* out) {
  const ExportShape& v = item(graph(e).values, index, "value");
  require(out != nullptr, "the value info pointer is null");
  out->channels = v.c, out->height = v.h, out->width = v.w;
}

void exported_op(const ExportedModel* e, int32_t index, ExportOpInfo* out) {
  const ExportOp& o = item(graph(e).ops, index, "op");
  require(out != nullptr, "the op info pointer is null");
  out->kind = static_cast<int32_t>(o.kind);
  out->input = o.input, out->input2 = o.input2, out->output = o.output;
  out->weight = o.weight, out->bias = o.bias;
  out->kernel = o.kernel, out->stride = o.stride, out->pad = o.pad;
  out->relu = o.relu ? 1 : 0;
  out->ceil = o.ceil ? 1 : 0;
}

int32_t exported_tensor_rank(const ExportedModel* e, int32_t index) {
  return static_cast<int32_t>(tensor(e, index).shape.size());
}

void exported_tensor_shape(const ExportedModel* e, int32_t index, int64_t* shape) {
  const ExportTensor& t = tensor(e, index);
  require(shape != nullptr, "the shape pointer is null");
  std::copy(t.shape.begin(), t.shape.end(), shape);
}

int64_t exported_tensor_size(const ExportedModel* e, int32_t index) {
  return static_cast<int64_t>(tensor(e, index).data.size());
}

void exported_tensor_data(const ExportedModel* e, int32_t index, float* data) {
  const ExportTensor& t = tensor(e, index);
  require(data != nullptr, "the data pointer is null");
  std::copy(t.data.begin(), t.data.end(), data);
}

void exported_predict(ExportedModel* e, const float* features, int64_t count, float* logits) {
  live(e).net->predict(features, count, logits);
}

void exported_evaluate(ExportedModel* e, const Dataset* data, EvalStats* out) {
  require(data != nullptr, "the data set handle is null (closed or never created)");
  require(out != nullptr, "the eval stats pointer is null");
  *out = live(e).net->evaluate(*data);
}

int64_t exported_native_bytes(const ExportedModel* e) { return live(e).net->native_bytes(); }

}  // namespace layerprune
