// One thread count for every native thread pool (OpenMP, which oneDNN also uses).
#pragma once
#include <cstdint>

namespace layerprune {

int32_t physical_core_count();
// 0 = LAYERPRUNE_THREADS from the environment if set, else physical cores. Sets OpenMP's pool, which oneDNN's CPU engine shares, so the
// two never oversubscribe the machine.
void configure_threads(int32_t threads);
int32_t configured_threads();
// OpenMP's thread count is a per-thread setting: entry points call this so work
// started from any (JVM) thread uses the configured count. Cheap after the first call.
void apply_thread_config();

}  // namespace layerprune
