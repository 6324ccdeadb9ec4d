// Precision names and the CPU's bf16 capability: the one place that knows which instruction
// sets bf16 matrix products need on a CPU (oneDNN runs them on AVX512-BF16 or AMX-BF16; on
// anything less it would fall back to reference loops tens of times slower than f32, which
// set_precision refuses instead).
#include "backend/backend.h"
#include "core/error.h"

namespace layerprune {

const char* precision_name(int32_t precision) {
  switch (precision) {
    case PRECISION_FP32: return "fp32";
    case PRECISION_BF16: return "bf16";
    default: fail("precision must be 0 (fp32) or 1 (bf16), got ", precision);
  }
}

const char* cpu_bf16_unsupported_reason() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512bf16") || __builtin_cpu_supports("amx-bf16")) return "";
  return "bf16 needs a CPU with AVX512-BF16 or AMX-BF16 (Intel Cooper Lake or Sapphire Rapids and later, "
         "AMD Zen 4 and later); this CPU has neither";
#else
  return "bf16 on the CPU is implemented for x86-64 with AVX512-BF16 or AMX-BF16; this is not an x86-64 CPU";
#endif
}

void Backend::unsupported_precision(Precision p) const {
  fail("the ", name(), " backend cannot run precision ", precision_name(p), " (it runs fp32 only)");
}

}  // namespace layerprune
