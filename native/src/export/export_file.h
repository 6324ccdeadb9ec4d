// The exported network's file: a binary container (io/binary_container.h: magic,
// versions, typed named records, CRC-32, atomic write) with magic "LPEXPORT", holding
// the graph (values, ops), the surviving weights and provenance; nothing of training.
//
// Records (format version 2):
//   graph.image u32, graph.classes u32, graph.output u32
//   graph.values i64[3 V]     per value: channels, height, width (values[0] = input)
//   graph.ops i64[11 O]       per op: kind, input, input2, output, weight, bias, kernel, stride, pad, relu, ceil
//   tensor.count u32; tensor.<i>.shape i64[]; tensor.<i> f32[]
//   source string, architecture string (the source's description, JSON), post_activation u32,
//   sections.total u32, sections.kept u32, folded.maps u32, folded.batchnorms u32, metadata
//   string (the caller's, e.g. JSON)
// Version 1 files (10 numbers per op, no architecture) are read as well: their max pools are
// all 2x2, stride 2, ceil mode.
#pragma once
#include <string>

#include "export/export_graph.h"

namespace layerprune {

constexpr char kExportMagic[] = "LPEXPORT";
constexpr uint32_t kExportFormatVersion = 2;

void write_export_file(const ExportGraph& graph, const std::string& metadata, const std::string& path);
// Reads and validates (ExportGraph::validate): raises Error naming the problem for a
// missing, truncated, corrupt, foreign or newer-version file.
ExportGraph read_export_file(const std::string& path, std::string* metadata);

}  // namespace layerprune
