// Bounded plan caches (issue 14 item 4): oneDNN plans keyed by shape are kept in an LRU of
// fixed capacity, so calls with ever new batch sizes (a service's predict) do not grow memory
// without bound, and results stay right after plans were evicted and built again.
#include <gtest/gtest.h>

#include <string>

#include "backend/cpu_dnnl/conv_plans.h"
#include "backend/cpu_dnnl/matmul_plans.h"
#include "core/lru_cache.h"
#include "reference/ops.h"
#include "test_util.h"

namespace layerprune {
namespace {

TEST(LruCache, EvictsTheLeastRecentlyUsed) {
  LruCache<int, std::string> cache(3);
  int made = 0;
  auto get = [&](int k) -> std::string& {
    return cache.get(k, [&] {
      ++made;
      return std::make_unique<std::string>(std::to_string(k));
    });
  };
  get(1), get(2), get(3);
  EXPECT_EQ(get(1), "1");  // hit: 1 is now the most recent
  get(4);                  // evicts 2, the least recent
  EXPECT_EQ(cache.size(), 3u);
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_EQ(made, 4);
  get(1), get(3), get(4);  // all hits
  EXPECT_EQ(made, 4);
  get(2);                  // made again
  EXPECT_EQ(made, 5);
  EXPECT_EQ(cache.size(), 3u);
}

TEST(PlanCache, ManyBatchSizesStayBoundedAndCorrect) {
  cpu::MatmulPlans plans;
  Rng rng(4);
  const int64_t N = 5, K = 7;
  const std::vector<float> w = test::random_vector(N * K, rng);
  const std::vector<float> b = test::random_vector(N, rng);
  const size_t sizes = cpu::MatmulPlans::kCapacity + 100;
  for (size_t M = 1; M <= sizes; ++M) {
    const std::vector<float> x = test::random_vector(int64_t(M) * K, rng);
    std::vector<float> y(M * N), ref(M * N);
    plans.run({int64_t(M), N, K, cpu::GemmKind::kForward}, x.data(), w.data(), b.data(), y.data());
    reference::linear_forward(x.data(), w.data(), b.data(), ref.data(), int64_t(M), N, K, false);
    if (M % 50 == 1 || M == sizes) test::expect_close(y, ref, 1e-5, 1e-5, "matmul after evictions");
    ASSERT_LE(plans.plan_count(), cpu::MatmulPlans::kCapacity);
  }
  EXPECT_EQ(plans.evictions(), sizes - cpu::MatmulPlans::kCapacity);
  // An evicted shape is planned again and still right.
  const std::vector<float> x = test::random_vector(K, rng);
  std::vector<float> y(N), ref(N);
  plans.run({1, N, K, cpu::GemmKind::kForward}, x.data(), w.data(), b.data(), y.data());
  reference::linear_forward(x.data(), w.data(), b.data(), ref.data(), 1, N, K, false);
  test::expect_close(y, ref, 1e-5, 1e-5, "re-planned matmul");
}

TEST(PlanCache, ConvPlansStayBounded) {
  cpu::ConvPlans plans;
  Rng rng(5);
  const std::vector<float> w = test::random_vector(4 * 2 * 3 * 3, rng);
  for (int64_t n = 1; n <= int64_t(cpu::ConvPlans::kCapacity) + 20; ++n) {
    const ConvGeometry g{n, 2, 4, 4, 4, 3, 3, 1, 1};
    const std::vector<float> x = test::random_vector(n * 2 * 4 * 4, rng);
    std::vector<float> y(static_cast<size_t>(n * 4 * 4 * 4));
    plans.forward({g}, x.data(), w.data(), y.data());
    ASSERT_LE(plans.plan_count(), cpu::ConvPlans::kCapacity);
  }
  EXPECT_EQ(plans.evictions(), 20u);
}

}  // namespace
}  // namespace layerprune
