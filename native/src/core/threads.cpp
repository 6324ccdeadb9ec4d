#include "core/threads.h"

#include <omp.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "core/error.h"

namespace layerprune {

int32_t physical_core_count() {
  // Count distinct (physical id, core id) pairs: hyper-threads share a core and
  // would only slow GEMM-bound work down.
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::set<std::pair<int, int>> cores;
  int physical = 0;
  std::string line;
  while (std::getline(cpuinfo, line)) {
    auto value = [&line]() { return std::stoi(line.substr(line.find(':') + 1)); };
    if (line.rfind("physical id", 0) == 0) physical = value();
    if (line.rfind("core id", 0) == 0) cores.insert({physical, value()});
  }
  if (!cores.empty()) return static_cast<int32_t>(cores.size());
  const unsigned logical = std::thread::hardware_concurrency();
  return logical > 0 ? static_cast<int32_t>(logical) : 1;
}

// 0 means: LAYERPRUNE_THREADS if the environment sets it (the test runner uses it to
// run test processes side by side without oversubscribing), else physical cores.
static int32_t default_threads() {
  if (const char* env = std::getenv("LAYERPRUNE_THREADS")) {
    const int value = std::atoi(env);
    if (value > 0) return value;
  }
  return physical_core_count();
}

static std::atomic<int32_t> g_threads{0};
static std::atomic<int32_t> g_generation{0};
static thread_local int32_t t_applied_generation = -1;

void configure_threads(int32_t threads) {
  require(threads >= 0, "could not set the thread count because it is negative (", threads,
          "); use 0 for one thread per physical core");
  g_threads = threads == 0 ? default_threads() : threads;
  ++g_generation;
  apply_thread_config();
}

void apply_thread_config() {
  if (g_threads == 0) configure_threads(0);
  if (t_applied_generation == g_generation) return;
  omp_set_num_threads(g_threads);
  t_applied_generation = g_generation;
}

int32_t configured_threads() {
  if (g_threads == 0) configure_threads(0);
  return g_threads;
}

}  // namespace layerprune
