#include "backend/cpu_dnnl/conv_plans.h"

#include "core/error.h"

namespace layerprune::cpu {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

ConvPlans::ConvPlans() : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {}

ConvPlan& ConvPlans::plan(const ConvKey& k) {
  return plans_.get(k, [&] { return make_plan(k); });
}

std::unique_ptr<ConvPlan> ConvPlans::make_plan(const ConvKey& k) {
  const ConvGeometry& g = k.g;
  require(g.N > 0 && g.C > 0 && g.H > 0 && g.W > 0 && g.K > 0 && g.R > 0 && g.S > 0 && g.stride > 0 &&
              g.pad >= 0 && g.P() > 0 && g.Q() > 0,
          "could not plan a convolution because its geometry is invalid (N=", g.N, " C=", g.C, " H=", g.H,
          " W=", g.W, " K=", g.K, " kernel ", g.R, "x", g.S, " stride ", g.stride, " pad ", g.pad, ")");
  auto p = std::make_unique<ConvPlan>();
  const memory::dims src_dims{g.N, g.C, g.H, g.W}, dst_dims{g.N, g.K, g.P(), g.Q()},
      wei_dims{g.K, g.C, g.R, g.S}, strides{g.stride, g.stride}, pad{g.pad, g.pad};
  // What the primitives read: f32, or bf16 in a mixed-precision plan; outputs are f32 always.
  const dt in = k.bf16 ? dt::bf16 : dt::f32;
  const memory::desc src(src_dims, dt::f32, tag::nhwc), dst(dst_dims, dt::f32, tag::nhwc),
      src_in(src_dims, in, tag::nhwc), dst_in(dst_dims, in, tag::nhwc), wei_plain(wei_dims, dt::f32, tag::oihw),
      wei_in(wei_dims, in, tag::any), wei_out(wei_dims, dt::f32, tag::any);
  try {
    auto fwd_pd = dnnl::convolution_forward::primitive_desc(engine_, dnnl::prop_kind::forward_training,
                                                            dnnl::algorithm::convolution_direct, src_in, wei_in,
                                                            dst, strides, pad, pad);
    // The backward passes' hint: the forward whose output gradient they read (bf16 in a bf16 plan).
    auto hint_pd = k.bf16 ? dnnl::convolution_forward::primitive_desc(
                                engine_, dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct,
                                src_in, wei_in, dst_in, strides, pad, pad)
                          : fwd_pd;
    auto bwd_data_pd = dnnl::convolution_backward_data::primitive_desc(
        engine_, dnnl::algorithm::convolution_direct, src, wei_in, dst_in, strides, pad, pad, hint_pd);
    auto bwd_weights_pd = dnnl::convolution_backward_weights::primitive_desc(
        engine_, dnnl::algorithm::convolution_direct, src_in, wei_out, dst_in, strides, pad, pad, hint_pd);
    if (k.bf16) {
      require_fast_bf16(fwd_pd.impl_info_str(), "convolution");
      require_fast_bf16(bwd_data_pd.impl_info_str(), "convolution backward-data");
      require_fast_bf16(bwd_weights_pd.impl_info_str(), "convolution backward-weights");
    }
    p->forward = dnnl::convolution_forward(fwd_pd);
    p->backward_data = dnnl::convolution_backward_data(bwd_data_pd);
    p->backward_weights = dnnl::convolution_backward_weights(bwd_weights_pd);

    p->src.plan(src, engine_, k.bf16);
    p->diff_dst.plan(dst, engine_, k.bf16);
    p->weights_forward.plan(wei_plain, fwd_pd.weights_desc(), engine_);
    p->weights_backward_data.plan(wei_plain, bwd_data_pd.weights_desc(), engine_);
    p->dst = memory(dst, engine_, DNNL_MEMORY_NONE);
    p->diff_src = memory(src, engine_, DNNL_MEMORY_NONE);
    p->diff_weights_plain = memory(wei_plain, engine_, DNNL_MEMORY_NONE);
    p->diff_weights_storage.assign(bwd_weights_pd.diff_weights_desc().get_size() / sizeof(float) + 1, 0.f);
    p->diff_weights_blocked = memory(bwd_weights_pd.diff_weights_desc(), engine_, p->diff_weights_storage.data());
    p->backward_weights_to_plain = dnnl::reorder(p->diff_weights_blocked, p->diff_weights_plain);
    p->accumulate_scratch.assign(static_cast<size_t>(g.N * g.H * g.W * g.C), 0.f);
    p->scratch_diff_src = memory(src, engine_, p->accumulate_scratch.data());
  } catch (const dnnl::error& e) {
    fail("could not plan a oneDNN ", k.bf16 ? "bf16 " : "", "convolution (C=", g.C, " K=", g.K, " ", g.H, "x",
         g.W, ", kernel ", g.R, ", stride ", g.stride, ") because ", e.what());
  }
  p->forward_args = {{DNNL_ARG_SRC, p->src.used}, {DNNL_ARG_WEIGHTS, p->weights_forward.used}, {DNNL_ARG_DST, p->dst}};
  p->backward_data_args = {{DNNL_ARG_DIFF_DST, p->diff_dst.used},
                           {DNNL_ARG_WEIGHTS, p->weights_backward_data.used},
                           {DNNL_ARG_DIFF_SRC, p->diff_src}};
  p->scratch_backward_data_args = {{DNNL_ARG_DIFF_DST, p->diff_dst.used},
                                   {DNNL_ARG_WEIGHTS, p->weights_backward_data.used},
                                   {DNNL_ARG_DIFF_SRC, p->scratch_diff_src}};
  p->backward_weights_args = {{DNNL_ARG_DIFF_DST, p->diff_dst.used},
                              {DNNL_ARG_SRC, p->src.used},
                              {DNNL_ARG_DIFF_WEIGHTS, p->diff_weights_blocked}};
  return p;
}

void ConvPlans::forward(const ConvKey& k, const float* x, const float* w, float* y) {
  ConvPlan& p = plan(k);
  p.weights_forward.bind(w, stream_);
  p.src.bind(x, stream_);
  p.dst.set_data_handle(y);
  p.forward.execute(stream_, p.forward_args);
  stream_.wait();
}

const float* ConvPlans::backward_data(const ConvKey& k, const float* dy, const float* w, float* dx,
                                      bool into_scratch) {
  ConvPlan& p = plan(k);
  p.diff_dst.bind(dy, stream_);
  return run_backward_data(p, w, dx, into_scratch);
}

void ConvPlans::backward_weights(const ConvKey& k, const float* dy, const float* x, float* dw) {
  ConvPlan& p = plan(k);
  p.diff_dst.bind(dy, stream_);
  run_backward_weights(p, x, dw);
}

const float* ConvPlans::backward(const ConvKey& k, const float* dy, const float* x, const float* w, float* dw,
                                 float* dx, bool into_scratch) {
  ConvPlan& p = plan(k);
  p.diff_dst.bind(dy, stream_);
  run_backward_weights(p, x, dw);
  return run_backward_data(p, w, dx, into_scratch);
}

const float* ConvPlans::run_backward_data(ConvPlan& p, const float* w, float* dx, bool into_scratch) {
  p.weights_backward_data.bind(w, stream_);
  if (into_scratch) {
    p.backward_data.execute(stream_, p.scratch_backward_data_args);
    stream_.wait();
    return p.accumulate_scratch.data();
  }
  p.diff_src.set_data_handle(dx);
  p.backward_data.execute(stream_, p.backward_data_args);
  stream_.wait();
  return dx;
}

void ConvPlans::run_backward_weights(ConvPlan& p, const float* x, float* dw) {
  p.src.bind(x, stream_);
  p.backward_weights.execute(stream_, p.backward_weights_args);
  p.diff_weights_plain.set_data_handle(dw);
  p.backward_weights_to_plain.execute(stream_, p.diff_weights_blocked, p.diff_weights_plain);
  stream_.wait();
}

}  // namespace layerprune::cpu
