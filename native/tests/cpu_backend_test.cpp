// Every dense oneDNN/OpenMP op of the CPU backend against the reference ops, with
// explicit tolerances: the checks of backend_op_checks.h, shared with the CUDA suite.
#include <gtest/gtest.h>

#include "backend_op_checks.h"

namespace layerprune {
namespace {

class CpuBackendTest : public test::BackendOpTest<test::DenseShape> {
 protected:
  CpuBackendTest() : BackendOpTest(42) {}
};

TEST_P(CpuBackendTest, LinearForwardMatchesReference) {
  auto [M, N, K] = GetParam();
  check_linear_forward(M, N, K);
}

TEST_P(CpuBackendTest, LinearBackwardMatchesReference) {
  auto [M, N, K] = GetParam();
  check_linear_backward(M, N, K);
}

TEST_P(CpuBackendTest, ElementwiseAndReductionsMatchReference) {
  auto [M, N, K] = GetParam();
  (void)K;
  check_elementwise_and_reductions(M, N, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Shapes, CpuBackendTest, ::testing::ValuesIn(test::dense_shapes()));

}  // namespace
}  // namespace layerprune
