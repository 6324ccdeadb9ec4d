#include "backend/cpu_dnnl/matmul_plans.h"

#include <string>

#include "core/error.h"

namespace layerprune::cpu {

using dnnl::memory;
using dims = memory::dims;
using dt = memory::data_type;

MatmulPlans::MatmulPlans() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

void require_fast_bf16(const char* impl, const char* what) {
  const std::string name = impl ? impl : "";
  require(name.rfind("ref", 0) != 0, "oneDNN has no fast bf16 ", what, " kernel on this CPU (it chose '", name,
          "'); run with precision fp32");
}

namespace {
// A row-major (rows, cols) matrix, or the transpose of a stored (cols, rows) one.
memory::desc matrix(int64_t rows, int64_t cols, bool transposed) {
  return transposed ? memory::desc(dims{rows, cols}, dt::f32, dims{1, rows})
                    : memory::desc(dims{rows, cols}, dt::f32, dims{cols, 1});
}
}  // namespace

GemmPlan& MatmulPlans::plan(const GemmKey& key) {
  return plans_.get(key, [&] { return make_plan(key); });
}

std::unique_ptr<GemmPlan> MatmulPlans::make_plan(const GemmKey& key) {
  auto p = std::make_unique<GemmPlan>();
  const int64_t M = key.M, N = key.N, K = key.K;
  memory::desc src, wei, dst, bias;
  dnnl::post_ops ops;
  switch (key.kind) {
    case GemmKind::kForward:
    case GemmKind::kForwardRelu:
    case GemmKind::kForwardNoBias:
      src = matrix(M, K, false);   // X (M,K)
      wei = matrix(K, N, true);    // W^T where W is stored (N,K)
      dst = matrix(M, N, false);   // Y (M,N)
      if (key.kind != GemmKind::kForwardNoBias) bias = memory::desc(dims{1, N}, dt::f32, dims{N, 1});
      if (key.kind == GemmKind::kForwardRelu) ops.append_eltwise(dnnl::algorithm::eltwise_relu, 0.f, 0.f);
      break;
    case GemmKind::kBackwardData:
    case GemmKind::kBackwardDataAcc:
      src = matrix(M, N, false);   // dY (M,N)
      wei = matrix(N, K, false);   // W (N,K)
      dst = matrix(M, K, false);   // dX (M,K)
      if (key.kind == GemmKind::kBackwardDataAcc) ops.append_sum(1.f);
      break;
    case GemmKind::kBackwardWeights:
      src = matrix(N, M, true);    // dY^T where dY is stored (M,N)
      wei = matrix(M, K, false);   // X (M,K)
      dst = matrix(N, K, false);   // dW (N,K)
      break;
  }
  dnnl::primitive_attr attr;
  attr.set_post_ops(ops);
  const memory::desc src_used = key.bf16 ? PlanInput::with_bf16(src) : src;
  const memory::desc wei_used = key.bf16 ? PlanInput::with_bf16(wei) : wei;
  try {
    auto pd = bias.is_zero() ? dnnl::matmul::primitive_desc(engine_, src_used, wei_used, dst, attr)
                             : dnnl::matmul::primitive_desc(engine_, src_used, wei_used, bias, dst, attr);
    // No silent fallback: oneDNN's reference kernels run bf16 tens of times slower than f32.
    if (key.bf16) require_fast_bf16(pd.impl_info_str(), "matmul");
    p->primitive = dnnl::matmul(pd);
    p->src.plan(src, src_used, engine_);
    p->weights.plan(wei, wei_used, engine_);
  } catch (const dnnl::error& e) {
    fail("could not plan a oneDNN ", key.bf16 ? "bf16 " : "", "matmul of shape M=", M, " N=", N, " K=", K,
         " because ", e.what());
  }
  p->dst = memory(dst, engine_, DNNL_MEMORY_NONE);
  p->args = {{DNNL_ARG_SRC, p->src.used}, {DNNL_ARG_WEIGHTS, p->weights.used}, {DNNL_ARG_DST, p->dst}};
  if (!bias.is_zero()) {
    p->bias = memory(bias, engine_, DNNL_MEMORY_NONE);
    p->args[DNNL_ARG_BIAS] = p->bias;
  }
  return p;
}

void MatmulPlans::run(const GemmKey& key, const float* a, const float* b, const float* bias,
                      float* c) {
  GemmPlan& p = plan(key);
  p.src.bind(a, stream_);
  execute(p, b, bias, c);
}

void MatmulPlans::run_backward(int64_t M, int64_t N, int64_t K, bool bf16, bool accumulate, const float* dY,
                               const float* X, const float* W, float* dW, float* dX) {
  GemmPlan& w = plan({M, N, K, GemmKind::kBackwardWeights, bf16});
  w.src.bind(dY, stream_);
  execute(w, X, nullptr, dW);
  // Planning the second may insert into the cache; it evicts the least recently used plan, never
  // the one just run (the cache holds far more than two), so its copy of dY is still there.
  GemmPlan& d = plan({M, N, K, accumulate ? GemmKind::kBackwardDataAcc : GemmKind::kBackwardData, bf16});
  d.src.bind_shared(dY, w.src);
  execute(d, W, nullptr, dX);
}

void MatmulPlans::execute(GemmPlan& p, const float* b, const float* bias, float* c) {
  p.weights.bind(b, stream_);
  p.dst.set_data_handle(c);
  if (p.bias) p.bias.set_data_handle(const_cast<float*>(bias));
  p.primitive.execute(stream_, p.args);
  stream_.wait();
}

}  // namespace layerprune::cpu
