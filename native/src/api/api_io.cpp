// The C API of the data file parsers: argument checks and translation to io/ only.
#include "layerprune/api_io.h"

#include <string>

#include "core/error.h"
#include "io/cifar_format.h"
#include "io/idx_format.h"

namespace layerprune {
namespace {

std::string name_of(const char* source) { return source != nullptr ? source : "the data"; }

IdxKind idx_kind(int32_t kind) {
  require(kind == IDX_IMAGES || kind == IDX_LABELS, "could not parse an IDX file because its kind ", kind,
          " is neither IDX_IMAGES (0) nor IDX_LABELS (1)");
  return kind == IDX_IMAGES ? IdxKind::kImages : IdxKind::kLabels;
}

size_t checked_size(int64_t size, const std::string& source) {
  require(size >= 0, "could not read ", source, " because its size is negative (", size, ")");
  return static_cast<size_t>(size);
}

void fill(const IdxLayout& l, IdxInfo* out) {
  out->count = l.count;
  out->rows = l.rows;
  out->cols = l.cols;
  out->header_bytes = static_cast<int64_t>(l.header_bytes);
  out->data_bytes = static_cast<int64_t>(l.data_bytes);
}

}  // namespace

int64_t idx_header_size(int32_t kind) { return static_cast<int64_t>(idx_header_bytes(idx_kind(kind))); }

void idx_check_header(const uint8_t* bytes, int64_t size, int32_t kind, const char* source, IdxInfo* out) {
  const std::string name = name_of(source);
  require(out != nullptr, "could not read ", name, " because the IdxInfo to fill is null");
  fill(parse_idx_header(bytes, checked_size(size, name), idx_kind(kind), name), out);
}

void idx_check_file(const uint8_t* bytes, int64_t size, int32_t kind, const char* source, IdxInfo* out) {
  const std::string name = name_of(source);
  require(out != nullptr, "could not read ", name, " because the IdxInfo to fill is null");
  fill(parse_idx(bytes, checked_size(size, name), idx_kind(kind), name).layout, out);
}

int64_t cifar_count_records(int64_t file_size, const char* source) {
  const std::string name = name_of(source);
  return cifar_record_count(checked_size(file_size, name), name);
}

void cifar_split_records(const uint8_t* bytes, int64_t size, const char* source, uint8_t* labels_out,
                         int64_t labels_capacity, uint8_t* pixels_out, int64_t pixels_capacity) {
  const std::string name = name_of(source);
  const size_t n = checked_size(size, name);
  const int64_t records = static_cast<int64_t>(n / kCifarRecordBytes);
  require(labels_capacity >= records && pixels_capacity / kCifarImageBytes >= records, "could not read ", name,
          " because the output buffers hold ", labels_capacity, " labels and ", pixels_capacity,
          " pixel bytes, but its ", records, " records need ", records, " and ", records * kCifarImageBytes);
  split_cifar_records(bytes, n, name, labels_out, pixels_out);
}

}  // namespace layerprune
