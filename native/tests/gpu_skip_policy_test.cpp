// The CUDA tests' skip decision (gpu_skip_policy.h), on the CPU: only the absence of a device
// skips, every other CUDA error fails, and LAYERPRUNE_REQUIRE_GPU=1 turns a skip into a failure.
#include "gpu_skip_policy.h"

#include <gtest/gtest.h>

namespace layerprune::test {
namespace {

TEST(GpuSkipPolicy, ADeviceIsUsed) {
  EXPECT_EQ(decide_gpu(kCudaSuccess, "cudaSuccess", 1, false).kind, GpuDecision::kUse);
  EXPECT_EQ(decide_gpu(kCudaSuccess, "cudaSuccess", 8, true).kind, GpuDecision::kUse);
}

TEST(GpuSkipPolicy, OnlyTheAbsenceOfADeviceSkips) {
  const GpuDecision none = decide_gpu(kCudaErrorNoDevice, "cudaErrorNoDevice", 0, false);
  EXPECT_EQ(none.kind, GpuDecision::kSkip);
  EXPECT_NE(none.reason.find("cudaErrorNoDevice (100)"), std::string::npos) << none.reason;
  EXPECT_EQ(decide_gpu(kCudaErrorInsufficientDriver, "cudaErrorInsufficientDriver", 0, false).kind,
            GpuDecision::kSkip);
  const GpuDecision zero = decide_gpu(kCudaSuccess, "cudaSuccess", 0, false);
  EXPECT_EQ(zero.kind, GpuDecision::kSkip);
  EXPECT_NE(zero.reason.find("0 devices"), std::string::npos) << zero.reason;
}

TEST(GpuSkipPolicy, AnyOtherErrorFails) {
  // cudaErrorInitializationError (3), cudaErrorMemoryAllocation (2), cudaErrorDevicesUnavailable (46),
  // cudaErrorSystemDriverMismatch (803), cudaErrorUnknown (999): a driver that is there but broken.
  for (int status : {2, 3, 46, 803, 999}) {
    for (bool require : {false, true}) {
      const GpuDecision d = decide_gpu(status, "cudaErrorSomething", 0, require);
      EXPECT_EQ(d.kind, GpuDecision::kFail) << status;
      EXPECT_NE(d.reason.find("cudaErrorSomething (" + std::to_string(status) + ")"), std::string::npos) << d.reason;
    }
  }
}

TEST(GpuSkipPolicy, RequiringAGpuTurnsEverySkipIntoAFailure) {
  for (int status : {kCudaErrorNoDevice, kCudaErrorInsufficientDriver, kCudaSuccess}) {
    const GpuDecision d = decide_gpu(status, "name", 0, true);
    EXPECT_EQ(d.kind, GpuDecision::kFail) << status;
    EXPECT_NE(d.reason.find("LAYERPRUNE_REQUIRE_GPU=1"), std::string::npos) << d.reason;
  }
}

TEST(GpuSkipPolicy, TheEnvironmentVariable) {
  EXPECT_FALSE(gpu_required(nullptr));
  EXPECT_FALSE(gpu_required(""));
  EXPECT_FALSE(gpu_required("0"));
  EXPECT_TRUE(gpu_required("1"));
  EXPECT_TRUE(gpu_required("yes"));
}

}  // namespace
}  // namespace layerprune::test
