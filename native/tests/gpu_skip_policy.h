// When a CUDA test may skip, as a pure function (no CUDA headers, so the CPU suite tests it
// too: gpu_skip_policy_test.cpp). A test skips only when there is no CUDA device at all:
// cudaGetDeviceCount returning cudaErrorNoDevice or cudaErrorInsufficientDriver (no driver, or
// one too old: the machine has no usable GPU), or success with a count of 0. Every other outcome
// is a failure: a driver that is there but broken, a failed stream or allocation while building
// the backend (the caller reports those). LAYERPRUNE_REQUIRE_GPU=1 turns every skip into a
// failure, for the GPU machine (bin/gpu-check), where a missing GPU is the bug.
#pragma once
#include <string>

namespace layerprune::test {

// The cudaError_t values the policy names (driver_types.h); cuda_support.h static_asserts them.
inline constexpr int kCudaSuccess = 0;
inline constexpr int kCudaErrorInsufficientDriver = 35;
inline constexpr int kCudaErrorNoDevice = 100;

struct GpuDecision {
  enum Kind { kUse, kSkip, kFail } kind;
  std::string reason;  // empty for kUse
};

// True when the environment demands a GPU: LAYERPRUNE_REQUIRE_GPU set to anything but "" or "0".
inline bool gpu_required(const char* require_gpu_env) {
  return require_gpu_env != nullptr && *require_gpu_env != '\0' && std::string(require_gpu_env) != "0";
}

// status and device_count: what cudaGetDeviceCount returned; status_name: cudaGetErrorName(status).
inline GpuDecision decide_gpu(int status, const std::string& status_name, int device_count, bool require_gpu) {
  std::string absent;
  if (status == kCudaErrorNoDevice || status == kCudaErrorInsufficientDriver)
    absent = "cudaGetDeviceCount reported " + status_name + " (" + std::to_string(status) + ")";
  else if (status == kCudaSuccess && device_count <= 0)
    absent = "cudaGetDeviceCount reported 0 devices";
  else if (status != kCudaSuccess)
    return {GpuDecision::kFail, "cudaGetDeviceCount failed with " + status_name + " (" + std::to_string(status) +
                                    "): a CUDA driver is there but does not work, which is not the absence of a GPU"};
  else
    return {GpuDecision::kUse, ""};
  if (require_gpu) return {GpuDecision::kFail, "LAYERPRUNE_REQUIRE_GPU=1 but there is no CUDA device: " + absent};
  return {GpuDecision::kSkip, "no CUDA device here: " + absent};
}

}  // namespace layerprune::test
