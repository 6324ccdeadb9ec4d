// Grid sizes for the one-thread-per-element kernels.
#pragma once
#include <algorithm>
#include <cstdint>

namespace layerprune::cuda {

constexpr int kThreads = 256;

// Blocks for n elements; elementwise kernels stride over the grid, so the count is
// capped (65535 blocks x 256 threads = 16.7M per sweep) without losing elements.
inline unsigned blocks_for(int64_t n) {
  return unsigned(std::min<int64_t>((n + kThreads - 1) / kThreads, 65535));
}

}  // namespace layerprune::cuda
