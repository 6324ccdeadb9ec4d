// libFuzzer target of the architecture description's reader (model/architecture_json.cpp) and its
// validation (model/architecture.cpp: plan_of), which read every --model-file, Architecture.fromJson
// and checkpoint description before a network is built from it.
//
// A layerprune::Error is the expected answer to a bad description; a valid one must survive the
// canonical round trip: parse(to_json(a)) == a and to_json of that is the same text, and its plan
// must have the sections the description names. Anything else (an out-of-bounds read, an
// overflow, another exception, a broken invariant) is a crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/error.h"
#include "model/architecture.h"
#include "model/architecture_json.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  layerprune::Architecture a;
  try {
    a = layerprune::architecture_from_json(text);
  } catch (const layerprune::Error&) {
    return 0;
  }
  const std::string canonical = layerprune::to_json(a);
  const layerprune::Architecture back = layerprune::architecture_from_json(canonical);  // must not throw
  check(back == a);
  check(layerprune::to_json(back) == canonical);
  check(layerprune::plan_of(a).sections() == a.sections());
  return 0;
}
