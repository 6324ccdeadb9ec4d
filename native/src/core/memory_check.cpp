#include "core/memory_check.h"

#include <unistd.h>

#include <fstream>
#include <string>

#include "core/error.h"

namespace layerprune {

int64_t physical_memory_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? int64_t(pages) * int64_t(page) : int64_t(1) << 40;
}

int64_t available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string key, unit;
  int64_t kb = 0;
  while (meminfo >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return physical_memory_bytes();
}

void require_memory(double bytes, const char* what) {
  const double available = double(physical_memory_bytes());
  require(bytes < available, "could not ", what, " because it needs ", bytes / 1e9,
          " GB for its weights, gradients and momentum, more than this machine's ", available / 1e9,
          " GB of memory");
}

}  // namespace layerprune
