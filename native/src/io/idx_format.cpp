#include "io/idx_format.h"

#include <cstdio>

#include "core/error.h"

namespace layerprune {
namespace {

uint32_t big_endian_u32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(v));
  return buf;
}

// The IDX type codes (third magic byte), for messages about files of another type.
const char* type_name(uint8_t code) {
  switch (code) {
    case 0x08: return "unsigned bytes";
    case 0x09: return "signed bytes";
    case 0x0B: return "int16";
    case 0x0C: return "int32";
    case 0x0D: return "float32";
    case 0x0E: return "float64";
    default: return nullptr;
  }
}

uint32_t expected_magic(IdxKind kind) { return kind == IdxKind::kImages ? kIdxImagesMagic : kIdxLabelsMagic; }
int dimensions(IdxKind kind) { return kind == IdxKind::kImages ? 3 : 1; }
const char* description(IdxKind kind) {
  return kind == IdxKind::kImages ? "images: unsigned bytes, 3 dimensions" : "labels: unsigned bytes, 1 dimension";
}

// What a wrong magic number is instead, so a labels file given as images (or an IDX file of
// floats) is named as such.
std::string what_magic_is(const uint8_t* m) {
  if (m[0] != 0 || m[1] != 0) return "not an IDX file (its first two bytes must be 0)";
  const char* type = type_name(m[2]);
  if (type == nullptr) return "an unknown IDX type code 0x" + hex32(m[2]).substr(8);
  return std::string("an IDX file of ") + type + " with " + std::to_string(m[3]) + " dimension" +
         (m[3] == 1 ? "" : "s");
}

}  // namespace

size_t idx_header_bytes(IdxKind kind) { return 4 + 4 * static_cast<size_t>(dimensions(kind)); }

IdxLayout parse_idx_header(const uint8_t* bytes, size_t size, IdxKind kind, const std::string& source) {
  require(bytes != nullptr || size == 0, "could not read ", source, " because its bytes are null");
  const size_t header = idx_header_bytes(kind);
  if (size >= 4) {
    const uint32_t magic = big_endian_u32(bytes);
    require(magic == expected_magic(kind), "could not read ", source, " because of a bad magic number ", hex32(magic),
            ", expected ", hex32(expected_magic(kind)), " (", description(kind), "); found ", what_magic_is(bytes));
  }
  require(size >= header, "could not read ", source, " because it is truncated: it ends inside the header (",
          size, " of its ", header, " bytes)");

  IdxLayout layout;
  layout.kind = kind;
  layout.header_bytes = header;
  // Dimensions are uint32 in the file; every product below stays in uint64 because each factor
  // is checked against the cap (< 2^31) before it is multiplied.
  const uint64_t count = big_endian_u32(bytes + 4);
  if (kind == IdxKind::kLabels) {
    require(count <= kIdxMaxDataBytes, "could not read ", source, " because its header announces ", count,
            " labels, more than the ", kIdxMaxDataBytes, " one file may hold");
    layout.count = static_cast<int64_t>(count);
    layout.data_bytes = static_cast<size_t>(count);
    return layout;
  }
  const uint64_t rows = big_endian_u32(bytes + 8);
  const uint64_t cols = big_endian_u32(bytes + 12);
  require(rows > 0 && cols > 0, "could not read ", source, " because its header announces invalid dimensions ",
          count, " x ", rows, " x ", cols, " (rows > 0 and columns > 0 expected)");
  require(rows <= kIdxMaxDataBytes && cols <= kIdxMaxDataBytes && rows * cols <= kIdxMaxDataBytes,
          "could not read ", source, " because its header announces images of ", rows, "x", cols,
          ", too large to load (", rows * cols, " bytes each, at most ", kIdxMaxDataBytes, ")");
  const uint64_t per_image = rows * cols;
  require(count <= kIdxMaxDataBytes / per_image, "could not read ", source, " because its header announces ", count,
          " images of ", rows, "x", cols, ", too many to load (", count * per_image, " bytes, at most ",
          kIdxMaxDataBytes, ")");
  layout.count = static_cast<int64_t>(count);
  layout.rows = static_cast<int64_t>(rows);
  layout.cols = static_cast<int64_t>(cols);
  layout.data_bytes = static_cast<size_t>(count * per_image);
  return layout;
}

IdxView parse_idx(const uint8_t* bytes, size_t size, IdxKind kind, const std::string& source) {
  IdxView view;
  view.layout = parse_idx_header(bytes, size, kind, source);
  const IdxLayout& l = view.layout;
  const size_t found = size - l.header_bytes;  // size >= header_bytes: checked above
  if (found < l.data_bytes) {
    if (kind == IdxKind::kImages) {
      fail("could not read ", source, " because it is truncated: expected ", l.data_bytes, " pixel bytes (", l.count,
           " images of ", l.rows, "x", l.cols, ", as its header announces), found ", found, " after the ",
           l.header_bytes, "-byte header");
    }
    fail("could not read ", source, " because it is truncated: expected ", l.data_bytes, " labels, found ", found,
         " (after the ", l.header_bytes, "-byte header that announces them)");
  }
  if (found > l.data_bytes) {
    const char* what = kind == IdxKind::kImages ? " images" : " labels";
    fail("could not read ", source, " because of unexpected data after the ", l.count, what,
         " its header announces (", found - l.data_bytes, " more byte", found - l.data_bytes == 1 ? "" : "s",
         " read)");
  }
  view.data = bytes + l.header_bytes;
  return view;
}

}  // namespace layerprune
