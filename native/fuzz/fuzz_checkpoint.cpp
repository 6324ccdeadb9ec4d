// libFuzzer target of the checkpoint reader's parser (io/binary_container: parse_container), the
// one that reads every checkpoint and exported model before any of its values is used.
//
// Each input is parsed twice: as a checkpoint (magic "LPCKPT01") and as any layerprune container
// (empty magic, as `inspect` reads it). A valid container then has every record decoded by the
// typed getter of its type, and is serialized and parsed again, which must give the same records.
// A layerprune::Error is the expected answer to a bad file; anything else (an out-of-bounds read,
// an overflow, an allocation beyond -rss_limit_mb, another exception, a broken invariant) is a
// crash.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/binary_container.h"

namespace {

using layerprune::Error;
namespace io = layerprune::io;

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: report it as a crash
}

// Decodes a record with the getter of its type; a payload that does not fit the type may raise
// Error (the parser leaves that to the getters), nothing else.
void decode(const io::Container& c, const io::Record& r) {
  try {
    switch (r.type) {
      case io::RecordType::U32: c.get_u32(r.name); break;
      case io::RecordType::I64: c.get_i64(r.name); break;
      case io::RecordType::F64: c.get_f64(r.name); break;
      case io::RecordType::String: check(c.get_string(r.name).size() == r.payload.size()); break;
      case io::RecordType::Bytes: check(c.get_bytes(r.name) == r.payload); break;
      case io::RecordType::F32Array: {
        const std::vector<float> v = c.get_f32_array(r.name);
        check(v.size() * sizeof(float) == r.payload.size() && c.array_length(r.name) == v.size());
        std::vector<float> into(v.size());
        c.get_f32_array_into(r.name, into.data(), into.size());
        break;
      }
      case io::RecordType::I32Array: check(c.get_i32_array(r.name).size() * 4 == r.payload.size()); break;
      case io::RecordType::I64Array: check(c.get_i64_array(r.name).size() * 8 == r.payload.size()); break;
      case io::RecordType::F64Array: check(c.get_f64_array(r.name).size() * 8 == r.payload.size()); break;
      default: break;
    }
  } catch (const Error&) {
  }
}

void parse(const uint8_t* data, size_t size, const io::ReadExpectation& expect) {
  io::Container c;
  try {
    c = io::parse_container(data, size, expect, "fuzz input");
  } catch (const Error&) {
    return;
  }
  for (const io::Record& r : c.records()) {
    check(c.has(r.name));
    decode(c, r);
  }
  // Writing what was read gives a file that reads back the same.
  const std::vector<uint8_t> again = c.serialize();
  io::Container d;
  try {
    d = io::parse_container(again.data(), again.size(), expect, "reserialized fuzz input");
  } catch (const Error&) {
    check(false);
  }
  check(d.magic() == c.magic() && d.format_version() == c.format_version());
  check(d.library_version() == c.library_version() && d.records().size() == c.records().size());
  for (size_t i = 0; i < c.records().size(); ++i) {
    check(d.records()[i].name == c.records()[i].name && d.records()[i].type == c.records()[i].type);
    check(d.records()[i].payload == c.records()[i].payload);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  io::ReadExpectation checkpoint;
  checkpoint.magic = "LPCKPT01";
  checkpoint.kind = "checkpoint";
  parse(data, size, checkpoint);
  parse(data, size, io::ReadExpectation{"", "container", 1});
  return 0;
}
