// The CUDA tests' way to the backend: a factory that returns null (and remembers why)
// when there is no GPU or driver, so each test can GTEST_SKIP with the reason instead
// of failing on machines without a GPU (CI, developer laptops).
#pragma once
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "backend/backend.h"
#include "core/error.h"

namespace layerprune::test {

inline std::string& cuda_unavailable_reason() {
  static std::string reason;
  return reason;
}

inline std::unique_ptr<Backend> cuda_or_null() {
  try {
    return make_cuda_backend();
  } catch (const Error& e) {
    cuda_unavailable_reason() = e.what();
    return nullptr;
  }
}

}  // namespace layerprune::test

// In a test body or SetUp: skip (reported as skipped by gtest and ctest) without a GPU.
#define LAYERPRUNE_SKIP_WITHOUT_GPU(backend)                                              \
  if (!(backend)) GTEST_SKIP() << "no usable CUDA GPU here: "                             \
                               << ::layerprune::test::cuda_unavailable_reason()
