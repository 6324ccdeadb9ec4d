// What every backend shares: the default of available_memory (host memory; a GPU backend says
// what its device has).
#include "backend/backend.h"

#include "core/memory_check.h"

namespace layerprune {

int64_t Backend::available_memory() const { return available_memory_bytes(); }

}  // namespace layerprune
