// libFuzzer target of the IDX parser (io/idx_format), the one the Java IdxReader uses.
//
// Each input is tried as an images file and as a labels file, the way IdxReader does it: the
// header alone first (parse_idx_header on at most the header's bytes), then the whole file
// (parse_idx), then the data copied out. A layerprune::Error is the expected answer to a bad
// file; anything else (an out-of-bounds read, an overflow, another exception, a result that
// breaks the invariants below) is a crash.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "core/error.h"
#include "io/idx_format.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: report it as a crash
}

void try_kind(const uint8_t* data, size_t size, layerprune::IdxKind kind) {
  using namespace layerprune;
  const size_t header = idx_header_bytes(kind);
  try {
    const IdxLayout l = parse_idx_header(data, size < header ? size : header, kind, "fuzz input");
    check(size >= header && l.header_bytes == header);
    check(l.data_bytes <= kIdxMaxDataBytes);
    check(static_cast<uint64_t>(l.count) * static_cast<uint64_t>(l.rows) * static_cast<uint64_t>(l.cols) ==
          l.data_bytes);
  } catch (const Error&) {
  }
  try {
    const IdxView v = parse_idx(data, size, kind, "fuzz input");
    check(v.layout.header_bytes + v.layout.data_bytes == size);
    check(v.data == data + v.layout.header_bytes);
    // What IdxReader does with a valid file: copy the data out (AddressSanitizer checks the range).
    std::vector<uint8_t> copy(v.data, v.data + v.layout.data_bytes);
    check(copy.size() == v.layout.data_bytes);
  } catch (const Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try_kind(data, size, layerprune::IdxKind::kImages);
  try_kind(data, size, layerprune::IdxKind::kLabels);
  return 0;
}
