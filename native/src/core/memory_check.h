// Refuses allocations that cannot fit: a model whose weights, gradients and momentum
// exceed the machine's physical memory would otherwise be killed by the OS while it
// initialises, taking the JVM with it.
#pragma once
#include <cstdint>

namespace layerprune {

int64_t physical_memory_bytes();
// MemAvailable of /proc/meminfo (what can be allocated without swapping); physical memory if unknown.
int64_t available_memory_bytes();
// Throws Error "could not <what> because it needs N GB ..., more than this machine's M GB".
void require_memory(double bytes, const char* what);

}  // namespace layerprune
