// The CUDA tests' way to the backend. Whether a test may skip is gpu_skip_policy.h's decision:
// it skips only when cudaGetDeviceCount says there is no CUDA device (no driver, or 0 devices),
// and fails on every other outcome: a driver that errs otherwise, or make_cuda_backend throwing
// on a machine that has a device (a failed stream or allocation). LAYERPRUNE_REQUIRE_GPU=1 makes
// the skips failures too (bin/gpu-check sets it).
#pragma once
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/error.h"
#include "gpu_skip_policy.h"

namespace layerprune::test {

static_assert(kCudaSuccess == static_cast<int>(cudaSuccess));
static_assert(kCudaErrorNoDevice == static_cast<int>(cudaErrorNoDevice));
static_assert(kCudaErrorInsufficientDriver == static_cast<int>(cudaErrorInsufficientDriver));

// What this machine offers, asked once per process.
inline const GpuDecision& gpu_probe() {
  static const GpuDecision decision = [] {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    cudaGetLastError();  // a failed probe must not be blamed on the next call
    return decide_gpu(static_cast<int>(status), cudaGetErrorName(status), devices,
                      gpu_required(std::getenv("LAYERPRUNE_REQUIRE_GPU")));
  }();
  return decision;
}

// Why the last cuda_or_null returned null, and whether that is a skip or a failure.
inline GpuDecision& cuda_unavailable() {
  static GpuDecision last{GpuDecision::kUse, ""};
  return last;
}

// The backend, or null with cuda_unavailable() saying why (kSkip: no device; kFail: anything else).
inline std::unique_ptr<Backend> cuda_or_null() {
  const GpuDecision& probe = gpu_probe();
  if (probe.kind != GpuDecision::kUse) {
    cuda_unavailable() = probe;
    return nullptr;
  }
  try {
    return make_cuda_backend();
  } catch (const Error& e) {
    cuda_unavailable() = {GpuDecision::kFail,
                          std::string("a CUDA device is there but make_cuda_backend failed: ") + e.what()};
    return nullptr;
  }
}

}  // namespace layerprune::test

// In a test body or SetUp, after cuda_or_null: skip (reported as skipped by gtest and ctest) when
// there is no CUDA device, fail (fatally) on any other reason the backend is missing.
#define LAYERPRUNE_SKIP_WITHOUT_GPU(backend)                                                         \
  if (!(backend)) {                                                                                  \
    if (::layerprune::test::cuda_unavailable().kind == ::layerprune::test::GpuDecision::kSkip)       \
      GTEST_SKIP() << ::layerprune::test::cuda_unavailable().reason;                                 \
    else                                                                                             \
      FAIL() << ::layerprune::test::cuda_unavailable().reason;                                       \
  }
