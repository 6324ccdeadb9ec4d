// IDX files (the MNIST format) parsed from memory: the bytes of one file, already decompressed.
//
// An IDX file is a 4-byte magic number (two zero bytes, a type code, the number of dimensions), one
// big-endian uint32 per dimension, then the data, row-major. layerprune reads two kinds, both of
// unsigned bytes: images (magic 0x00000803: count, rows, columns) and labels (0x00000801: count).
//
// Everything is checked before anything is allocated or read past the header: the magic number,
// each dimension, the products of the dimensions (overflow-safe, capped at what a Java byte[] can
// hold) against the bytes that are really there. A problem throws layerprune::Error naming the
// source (a file name) and saying what was expected and what was found. These functions are the
// only IDX parser of the product (the Java IdxReader calls them through api_io.h) and the target
// of native/fuzz/fuzz_idx.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace layerprune {

enum class IdxKind {
  kImages,  // unsigned bytes, 3 dimensions: count, rows, columns
  kLabels   // unsigned bytes, 1 dimension: count
};

constexpr uint32_t kIdxImagesMagic = 0x00000803;
constexpr uint32_t kIdxLabelsMagic = 0x00000801;
// The most data bytes one file may hold: the header, the data and one more byte (to see trailing
// data) must fit a Java byte[] (at most about INT32_MAX - 8 elements on HotSpot).
constexpr uint64_t kIdxMaxDataBytes = INT32_MAX - 64;

// The shape an IDX header announces. Labels have rows = cols = 1.
struct IdxLayout {
  IdxKind kind = IdxKind::kImages;
  int64_t count = 0;
  int64_t rows = 1;
  int64_t cols = 1;
  size_t header_bytes = 0;  // 4 + 4 * dimensions
  size_t data_bytes = 0;    // count * rows * cols, <= kIdxMaxDataBytes
};

// A whole, valid file: its layout and a pointer to its data inside the parsed bytes (no copy).
struct IdxView {
  IdxLayout layout;
  const uint8_t* data = nullptr;  // data_bytes bytes, row-major; valid while the input is
};

// Bytes of the header of `kind` (16 for images, 8 for labels).
size_t idx_header_bytes(IdxKind kind);

// Checks the header at the start of `bytes` (the magic number and the dimensions) and returns the
// layout it announces; the bytes after the header are not looked at, so `size` may be just the
// header. Throws if the header is cut short, the magic number is not the one of `kind`, a
// dimension is out of range or the data would be larger than kIdxMaxDataBytes.
IdxLayout parse_idx_header(const uint8_t* bytes, size_t size, IdxKind kind, const std::string& source);

// Checks a whole file: the header as above, then exactly layout.data_bytes bytes of data and
// nothing after them. Throws naming the file if it is truncated or has trailing data.
IdxView parse_idx(const uint8_t* bytes, size_t size, IdxKind kind, const std::string& source);

}  // namespace layerprune
