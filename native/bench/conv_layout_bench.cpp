// Issue 15 item 1, the activation layout: do oneDNN's convolutions run faster on its blocked
// layouts (what format_tag::any picks: nChw16c on AVX-512) than on the NHWC the CPU backend keeps
// activations in (cpu_dnnl/conv_plans.cpp)? One ResNet 3x3 stride-1 convolution, C = K channels
// on HW x HW images at batch N, forward_training + backward_data + backward_weights per iteration,
// activations and gradients already in the layout under test: the best case for a blocked network,
// with no reorders at its edges counted. Weights in the primitives' own layouts in both cases.
//   layerprune_bench --benchmark_filter=BM_ConvLayout
// layout 0 = NHWC (today), 1 = the primitives' choice (format_tag::any). Counter: GFLOP/s of the
// three passes (2 FLOPs per multiply-add, 3 x the forward's).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "core/threads.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace layerprune {
namespace {

using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

memory filled(const memory::desc& d, const dnnl::engine& e, float seed) {
  memory m(d, e);
  float* p = static_cast<float*>(m.get_data_handle());
  const size_t n = d.get_size() / sizeof(float);
  for (size_t i = 0; i < n; ++i) p[i] = float((i * 7919 + size_t(seed * 1000)) % 1000) / 1000.f - 0.5f;
  return m;
}

void BM_ConvLayout(benchmark::State& state) {
  const int64_t C = state.range(0), HW = state.range(1), N = state.range(2);
  const bool blocked = state.range(3) != 0;
  configure_threads(0);
  dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  dnnl::stream s(eng);
  const memory::dims act{N, C, HW, HW}, wei{C, C, 3, 3}, one{1, 1}, pad{1, 1};
  const tag a = blocked ? tag::any : tag::nhwc;
  const memory::desc src(act, dt::f32, a), dst(act, dt::f32, a), w(wei, dt::f32, tag::any);
  dnnl::convolution_forward::primitive_desc fwd(eng, dnnl::prop_kind::forward_training,
                                                dnnl::algorithm::convolution_direct, src, w, dst, one, pad, pad);
  dnnl::convolution_backward_data::primitive_desc bwd_data(eng, dnnl::algorithm::convolution_direct, src, w, dst,
                                                           one, pad, pad, fwd);
  dnnl::convolution_backward_weights::primitive_desc bwd_w(eng, dnnl::algorithm::convolution_direct, src, w, dst,
                                                           one, pad, pad, fwd);
  memory x = filled(fwd.src_desc(), eng, 1), wf = filled(fwd.weights_desc(), eng, 2),
         y = filled(fwd.dst_desc(), eng, 3), dy = filled(bwd_data.diff_dst_desc(), eng, 4),
         wd = filled(bwd_data.weights_desc(), eng, 5), dx = filled(bwd_data.diff_src_desc(), eng, 6),
         dyw = filled(bwd_w.diff_dst_desc(), eng, 4), xw = filled(bwd_w.src_desc(), eng, 1),
         dw = filled(bwd_w.diff_weights_desc(), eng, 7);
  dnnl::convolution_forward f(fwd);
  dnnl::convolution_backward_data bd(bwd_data);
  dnnl::convolution_backward_weights bw(bwd_w);
  for (auto _ : state) {
    f.execute(s, {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, wf}, {DNNL_ARG_DST, y}});
    bd.execute(s, {{DNNL_ARG_DIFF_DST, dy}, {DNNL_ARG_WEIGHTS, wd}, {DNNL_ARG_DIFF_SRC, dx}});
    bw.execute(s, {{DNNL_ARG_DIFF_DST, dyw}, {DNNL_ARG_SRC, xw}, {DNNL_ARG_DIFF_WEIGHTS, dw}});
    s.wait();
  }
  const double flops = 3.0 * 2.0 * double(N) * HW * HW * C * C * 9;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  // What the primitives run on: the activation layout the forward chose, and its implementation.
  const bool chose_nhwc = fwd.src_desc() == memory::desc(act, dt::f32, tag::nhwc);
  const bool chose_nchw = fwd.src_desc() == memory::desc(act, dt::f32, tag::nchw);
  state.SetLabel(std::string(chose_nhwc ? "nhwc: " : chose_nchw ? "nchw: " : "blocked: ") + fwd.impl_info_str() + " / " +
                 bwd_data.impl_info_str() + " / " + bwd_w.impl_info_str());
}
// The ResNet stages' 3x3 convolutions: Fashion-MNIST (28, 14, 7 at batch 64) and CIFAR (32, 16, 8
// at batch 128), 16/32/64 channels.
BENCHMARK(BM_ConvLayout)->ArgNames({"C", "HW", "N", "blocked"})
    ->ArgsProduct({{16}, {28}, {64}, {0, 1}})->ArgsProduct({{32}, {14}, {64}, {0, 1}})
    ->ArgsProduct({{64}, {7}, {64}, {0, 1}})->ArgsProduct({{16}, {32}, {128}, {0, 1}})
    ->ArgsProduct({{32}, {16}, {128}, {0, 1}})->ArgsProduct({{64}, {8}, {128}, {0, 1}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace layerprune
