#include "export/export_file.h"

#include "core/error.h"
#include "core/version.h"
#include "io/binary_container.h"

namespace layerprune {
namespace {
constexpr int64_t kOpFields = 11, kOpFieldsV1 = 10;
}  // namespace

void write_export_file(const ExportGraph& graph, const std::string& metadata, const std::string& path) {
  graph.validate();
  io::Container c(kExportMagic, kExportFormatVersion, kLibraryVersion);
  c.put_u32("graph.image", graph.image_input ? 1 : 0);
  c.put_u32("graph.classes", static_cast<uint32_t>(graph.classes));
  c.put_u32("graph.output", static_cast<uint32_t>(graph.output));
  std::vector<int64_t> values;
  for (const ExportShape& v : graph.values) values.insert(values.end(), {v.c, v.h, v.w});
  c.put_i64_array("graph.values", values);
  std::vector<int64_t> ops;
  for (const ExportOp& o : graph.ops)
    ops.insert(ops.end(), {int64_t(o.kind), o.input, o.input2, o.output, o.weight, o.bias, o.kernel, o.stride, o.pad,
                           o.relu ? 1 : 0, o.ceil ? 1 : 0});
  c.put_i64_array("graph.ops", ops);
  c.put_u32("tensor.count", static_cast<uint32_t>(graph.tensors.size()));
  for (size_t i = 0; i < graph.tensors.size(); ++i) {
    c.put_i64_array("tensor." + std::to_string(i) + ".shape", graph.tensors[i].shape);
    c.put_f32_array("tensor." + std::to_string(i), graph.tensors[i].data);
  }
  c.put_string("source", graph.source);
  c.put_string("architecture", graph.architecture);
  c.put_u32("post_activation", graph.post_activation ? 1 : 0);
  c.put_u32("sections.total", static_cast<uint32_t>(graph.sections_total));
  c.put_u32("sections.kept", static_cast<uint32_t>(graph.sections_kept));
  c.put_u32("folded.maps", static_cast<uint32_t>(graph.folded_maps));
  c.put_u32("folded.batchnorms", static_cast<uint32_t>(graph.folded_batchnorms));
  c.put_string("metadata", metadata);
  io::write_file_atomically(path, c.serialize());
}

ExportGraph read_export_file(const std::string& path, std::string* metadata) {
  const io::Container c = io::read_container(path, {kExportMagic, "exported network", kExportFormatVersion});
  const auto bad = [&](auto&&... parts) { fail("could not read the exported network ", path, " because ", parts...); };
  ExportGraph g;
  g.image_input = c.get_u32("graph.image") != 0;
  g.classes = static_cast<int32_t>(c.get_u32("graph.classes"));
  g.output = static_cast<int32_t>(c.get_u32("graph.output"));
  const std::vector<int64_t> values = c.get_i64_array("graph.values");
  if (values.empty() || values.size() % 3 != 0) bad("graph.values holds ", values.size(), " numbers, not triples");
  for (size_t i = 0; i < values.size(); i += 3) g.values.push_back({values[i], values[i + 1], values[i + 2]});
  const std::vector<int64_t> ops = c.get_i64_array("graph.ops");
  const bool v1 = c.format_version() < 2;
  const int64_t fields = v1 ? kOpFieldsV1 : kOpFields;
  if (ops.size() % fields != 0) bad("graph.ops holds ", ops.size(), " numbers, not groups of ", fields);
  const auto index = [&](int64_t v) {
    if (v < -1 || v > (int64_t(1) << 30)) bad("an op names the index ", v);
    return static_cast<int32_t>(v);
  };
  for (size_t i = 0; i < ops.size(); i += fields) {
    ExportOp o;
    if (ops[i] < 0 || ops[i] > int64_t(ExportOpKind::kFlatten)) bad("op ", i / fields, " has the unknown kind ", ops[i]);
    o.kind = static_cast<ExportOpKind>(ops[i]);
    o.input = index(ops[i + 1]), o.input2 = index(ops[i + 2]), o.output = index(ops[i + 3]);
    o.weight = index(ops[i + 4]), o.bias = index(ops[i + 5]);
    o.kernel = ops[i + 6], o.stride = ops[i + 7], o.pad = ops[i + 8], o.relu = ops[i + 9] != 0;
    if (v1 && o.kind == ExportOpKind::kMaxPool) o.kernel = 2, o.stride = 2, o.pad = 0, o.ceil = true;
    if (!v1) o.ceil = ops[i + 10] != 0;
    g.ops.push_back(o);
  }
  const uint32_t tensors = c.get_u32("tensor.count");
  if (tensors > c.records().size()) bad("tensor.count says ", tensors, " tensors but the file has fewer records");
  for (uint32_t i = 0; i < tensors; ++i) {
    ExportTensor t;
    t.shape = c.get_i64_array("tensor." + std::to_string(i) + ".shape");
    t.data = c.get_f32_array("tensor." + std::to_string(i));
    g.tensors.push_back(std::move(t));
  }
  g.source = c.get_string("source");
  if (!v1) g.architecture = c.get_string("architecture");
  g.post_activation = c.get_u32("post_activation") != 0;
  g.sections_total = static_cast<int32_t>(c.get_u32("sections.total"));
  g.sections_kept = static_cast<int32_t>(c.get_u32("sections.kept"));
  g.folded_maps = static_cast<int32_t>(c.get_u32("folded.maps"));
  g.folded_batchnorms = static_cast<int32_t>(c.get_u32("folded.batchnorms"));
  if (metadata) *metadata = c.get_string("metadata");
  try {
    g.validate();
  } catch (const Error& e) {
    bad(e.what());
  }
  return g;
}

}  // namespace layerprune
