// oneDNN matmul primitives for the three GEMMs of a dense layer, planned once per
// shape and precision and reused: primitive descriptors, primitives, memory objects and
// the argument map are built on first use and only their data handles change per call,
// so a training step allocates nothing. A bf16 plan converts both inputs to bf16 copies it
// owns (plan_input.h) and accumulates and writes f32.
#pragma once
#include <cstdint>
#include <memory>
#include <unordered_map>

#include "backend/cpu_dnnl/plan_input.h"
#include "core/lru_cache.h"

#include "oneapi/dnnl/dnnl.hpp"

namespace layerprune::cpu {

enum class GemmKind : int32_t {
  kForward = 0,         // Y = X W^T + b
  kForwardRelu = 1,     // Y = relu(X W^T + b)
  kForwardNoBias = 2,   // Y = X W^T
  kBackwardData = 3,    // dX = dY W
  kBackwardDataAcc = 4, // dX += dY W
  kBackwardWeights = 5  // dW = dY^T X
};

struct GemmKey {
  int64_t M, N, K;
  GemmKind kind;
  bool bf16 = false;  // bf16 inputs, f32 accumulation and output
  bool operator==(const GemmKey& o) const {
    return M == o.M && N == o.N && K == o.K && kind == o.kind && bf16 == o.bf16;
  }
};

struct GemmKeyHash {
  size_t operator()(const GemmKey& k) const {
    size_t h = std::hash<int64_t>()(k.M);
    h = h * 1000003u ^ std::hash<int64_t>()(k.N);
    h = h * 1000003u ^ std::hash<int64_t>()(k.K);
    return (h * 31u ^ static_cast<size_t>(k.kind)) * 2u + size_t(k.bf16);
  }
};

struct GemmPlan {
  dnnl::matmul primitive;
  PlanInput src, weights;
  dnnl::memory bias, dst;
  std::unordered_map<int, dnnl::memory> args;
};

class MatmulPlans {
 public:
  MatmulPlans();
  // Runs C = A * B with the plan of `key`; `bias` only for the forward kinds.
  void run(const GemmKey& key, const float* a, const float* b, const float* bias, float* c);
  // A dense layer's two backward products of one dY (M,N): dW = dY^T X, then dX (=|+=) dY W. In
  // bf16 plans dY is converted once: the backward-weights plan's copy (dY^T is a view of the same
  // storage order) is what the backward-data product reads.
  void run_backward(int64_t M, int64_t N, int64_t K, bool bf16, bool accumulate, const float* dY, const float* X,
                    const float* W, float* dW, float* dX);
  size_t plan_count() const { return plans_.size(); }
  size_t evictions() const { return plans_.evictions(); }
  // Plans kept at most: a training run of any preset uses a few dozen shapes (forward and
  // backward per distinct layer, training and evaluation batch sizes).
  static constexpr size_t kCapacity = 256;

 private:
  GemmPlan& plan(const GemmKey& key);
  void execute(GemmPlan& p, const float* b, const float* bias, float* c);  // src bound already
  std::unique_ptr<GemmPlan> make_plan(const GemmKey& key);
  dnnl::engine engine_;
  dnnl::stream stream_;
  LruCache<GemmKey, GemmPlan, GemmKeyHash> plans_{kCapacity};
};

}  // namespace layerprune::cpu
