// The export C API: argument checks and handle bookkeeping; the work is in export/.
#include "layerprune/api_export.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <unistd.h>
#include <vector>

#include "api/handles.h"
#include "api/model_access.h"
#include "api/normalization.h"
#include "core/error.h"
#include "export/export_file.h"
#include "export/exported_network.h"
#include "io/binary_container.h"
#include "io/normalizer_record.h"
#include "layerprune/api_data.h"

namespace layerprune {

struct ExportedModel {
  // One predict/evaluate at a time (the network's buffers and plan caches are per exported model);
  // the graph, metadata and normalizer never change after creation and are read without it.
  mutable std::mutex mu;
  std::unique_ptr<ExportedNetwork> net;
  std::string metadata;
  io::Normalizer normalizer;  // of the source model (api_data.h); empty: none
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

ExportedModel* exported_from_model(Model* model) {
  require(model != nullptr, "the model handle is null (closed or never created)");
  const auto held = hold(model);
  ExportedModel* e = wrap(build_export_graph(network_of(model)), "");
  e->normalizer = normalizer_of(model);
  return e;
}

namespace {

// A file name of this process in the system's temporary folder.
std::string staging_path() {
  static std::atomic<unsigned> counter{0};
  const std::filesystem::path dir = std::filesystem::temp_directory_path();
  return (dir / ("layerprune-export-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".lpexport"))
      .string();
}

}  // namespace

void exported_save(const ExportedModel* e, const char* path, const char* metadata) {
  require(path != nullptr && *path != '\0', "could not save the exported network because the path is empty");
  const ExportedModel& x = live(e);
  if (x.normalizer.empty()) {
    write_export_file(graph(e), metadata ? metadata : "", path);
    return;
  }
  // export/ writes the graph's container; the normalizer's records (io/normalizer_record.h) join
  // it here. The container goes through a staging file in the temporary folder, so that the
  // target is still replaced atomically, with the normalizer or not at all.
  const std::string staging = staging_path();
  io::Container c;
  try {
    write_export_file(graph(e), metadata ? metadata : "", staging);
    c = io::read_container(staging, {kExportMagic, "exported network", kExportFormatVersion});
  } catch (...) {
    std::remove(staging.c_str());
    throw;
  }
  std::remove(staging.c_str());
  io::put_normalizer(x.normalizer, c);
  io::write_file_atomically(path, c.serialize());
}

ExportedModel* exported_load(const char* path) {
  require(path != nullptr && *path != '\0', "could not load an exported network because the path is empty");
  std::string metadata;
  ExportGraph g = read_export_file(path, &metadata);
  const int64_t dim = g.input_size();
  std::unique_ptr<ExportedModel> e(wrap(std::move(g), std::move(metadata)));
  // The normalizer's records (absent in files of earlier versions: no normalisation).
  const io::Container c = io::read_container(path, {kExportMagic, "exported network", kExportFormatVersion});
  e->normalizer = io::get_normalizer(c, dim);
  return e.release();
}

int64_t exported_normalizer_groups(const ExportedModel* e) { return live(e).normalizer.groups(); }

void exported_normalizer(const ExportedModel* e, double* mean_out, double* std_out) {
  const io::Normalizer& n = live(e).normalizer;
  if (n.empty()) return;
  require(mean_out != nullptr && std_out != nullptr, "the normalizer output is null");
  std::copy(n.mean.begin(), n.mean.end(), mean_out);
  std::copy(n.std.begin(), n.std.end(), std_out);
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

void exported_set_precision(ExportedModel* e, int32_t precision) {
  ExportedModel& x = live(e);
  const std::lock_guard<std::mutex> held(x.mu);
  precision_name(precision);  // validates
  x.net->backend().set_precision(Precision(precision));
}

int32_t exported_precision(ExportedModel* e) {
  ExportedModel& x = live(e);
  const std::lock_guard<std::mutex> held(x.mu);
  return x.net->backend().precision();
}

void exported_predict(ExportedModel* e, const float* features, int64_t count, float* logits) {
  ExportedModel& x = live(e);
  const std::lock_guard<std::mutex> held(x.mu);
  std::vector<float> scratch;  // the raw features normalised like the training data (api_data.h)
  x.net->predict(normalized_features(x.normalizer, features, count, x.net->graph().input_size(), scratch), count,
                 logits);
}

void exported_evaluate(ExportedModel* e, const Dataset* data, EvalStats* out) {
  require(data != nullptr, "the data set handle is null (closed or never created)");
  require(out != nullptr, "the eval stats pointer is null");
  ExportedModel& x = live(e);
  const std::lock_guard<std::mutex> held(x.mu);
  *out = x.net->evaluate(*data);
}

int64_t exported_native_bytes(const ExportedModel* e) {
  const ExportedModel& x = live(e);
  const std::lock_guard<std::mutex> held(x.mu);
  return x.net->native_bytes();
}

}  // namespace layerprune
