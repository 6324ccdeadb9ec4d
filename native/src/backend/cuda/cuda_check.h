// Status checks for CUDA runtime calls and kernel launches: every failure becomes a
// layerprune::Error "could not <what> because CUDA reported <cudaError string>", so a
// bad launch or an out-of-memory surfaces at the op that caused it, not later.
#pragma once
#include <cuda_runtime.h>

#include "core/error.h"

namespace layerprune::cuda {

inline void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    fail("could not ", what, " because CUDA reported ", cudaGetErrorName(status), ": ",
         cudaGetErrorString(status));
}

// After a kernel launch: reports configuration errors (bad grid, missing sm_90 image)
// immediately; errors of the running kernel surface at the next synchronising call.
inline void check_launch(const char* kernel) {
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess)
    fail("could not launch the CUDA kernel ", kernel, " because CUDA reported ", cudaGetErrorName(status),
         ": ", cudaGetErrorString(status));
}

}  // namespace layerprune::cuda
