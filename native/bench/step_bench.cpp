// Training-step and inference benchmarks of the residual MLP 784 -> 256 with K gated
// sections of width 256, batch 128, next to oneDNN's sgemm on the network's own
// matrix shapes, so every result is also a fraction of what the GEMM alone reaches.
//
//   layerprune_bench --benchmark_counters_tabular=true
//
// Counters: samples/s, GFLOP/s (FLOPs as model/cost.h counts them: 2 per
// multiply-add, a training step = forward + 2x forward for backward, plus the
// estimator's extra forward passes), of_peak (GFLOP/s over the FP32 FMA peak that
// BM_FmaPeak measures in this binary, fma_peak.h).
#include <benchmark/benchmark.h>

#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "backend/backend.h"
#include "core/threads.h"
#include "layerprune/api.h"
#include "method/batch_prefetcher.h"
#include "method/epoch_loop.h"
#include "method/trainer.h"
#include "model/cost.h"
#include "model/evaluation.h"
#include "model/network.h"
#include "oneapi/dnnl/dnnl.h"
#include "test_support.h"

namespace layerprune {
namespace {

using bench::kBatch;
using bench::kClasses;
using bench::kInput;
using bench::kWidth;
Architecture arch(int32_t sections) { return bench::mlp_arch(sections); }

// theta = 1 with no gates: the plain residual step. theta = 0.5: gates sampled,
// two-point estimator at its default fraction, theta held at 0.5 (eta_theta = 0).
// prefetch: 1 = batch b+1 gathered on the loader thread during step b, 0 = on the
// training thread (LAYERPRUNE_PREFETCH=0); same results either way.
void BM_TrainStep(benchmark::State& state) {
  const int32_t sections = static_cast<int32_t>(state.range(0));
  const bool gated = state.range(1) != 0;
  const bool prefetch = state.range(2) != 0;
  configure_threads(0);
  Network model(make_cpu_backend(), arch(sections), 1);
  auto data = bench::random_dataset(kBatch * 40, kInput, kClasses, 2);
  bench::run_training_steps(state, model, *data, bench::mlp_step_config(gated), prefetch ? 1 : 0);
}
BENCHMARK(BM_TrainStep)->ArgNames({"K", "gated", "prefetch"})->ArgsProduct({{8, 32}, {0, 1}, {0, 1}})
    ->Args({3, 0, 1})->Args({12, 0, 1})  // the main job's network at its end (3 kept of 12) and start
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// The main job's network at its end: 12 sections of which the last 12 - kept are pruned (the
// main job keeps 3), its default configuration (budgeted estimator, evidence rule, the prior on
// the kept sections' weights) with the kept thetas held at 1 (eta_theta = 0, as the main job's
// end their theta is 1). gated = 0: the same pruned network trained without gates. Beside
// BM_TrainStep/K:3 (a network built with 3 sections) it shows what a pruned run's step costs
// beyond the plain step of the network it has become.
void BM_TrainStepPruned(benchmark::State& state) {
  const int32_t kept = static_cast<int32_t>(state.range(0));
  const bool gated = state.range(1) != 0;
  configure_threads(0);
  Network model(make_cpu_backend(), arch(12), 1);
  for (int32_t l = kept; l < 12; ++l) model.prune(l, 0);
  auto data = bench::random_dataset(kBatch * 40, kInput, kClasses, 2);
  TrainConfig config = bench::mlp_step_config(gated);  // the defaults, theta held (eta_theta 0)
  config.theta0 = 1.0;
  bench::run_training_steps(state, model, *data, config, 1);
}
BENCHMARK(BM_TrainStepPruned)->ArgNames({"kept", "gated"})->ArgsProduct({{3, 12}, {0, 1}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_TrainStep in mixed precision (TrainConfig.precision = bf16: the matrix products' inputs in
// bf16, everything else f32), prefetching; of_bf16_peak divides by BM_Bf16DotPeak.
void BM_TrainStepBf16(benchmark::State& state) {
  if (!bench::bf16_or_skip(state)) return;
  const int32_t sections = static_cast<int32_t>(state.range(0));
  configure_threads(0);
  Network model(make_cpu_backend(), arch(sections), 1);
  auto data = bench::random_dataset(kBatch * 40, kInput, kClasses, 2);
  TrainConfig config = bench::mlp_step_config(state.range(1) != 0);
  config.precision = PRECISION_BF16;
  bench::run_training_steps(state, model, *data, config, 1);
}
BENCHMARK(BM_TrainStepBf16)->ArgNames({"K", "gated"})->ArgsProduct({{8, 32}, {0, 1}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// BM_TrainStep's steps through the epoch loop (method/epoch_loop.h), one step per run() call as
// the Java Trainer drives it: what the loop adds to a step (its bookkeeping) beside the hand loop.
void BM_TrainStepEpochLoop(benchmark::State& state) {
  const int32_t sections = static_cast<int32_t>(state.range(0));
  const bool gated = state.range(1) != 0;
  configure_threads(0);
  Network model(make_cpu_backend(), arch(sections), 1);
  auto data = bench::random_dataset(kBatch * 40, kInput, kClasses, 2);
  const TrainConfig config = bench::mlp_step_config(gated);
  TrainingSession trainer(model, config);
  trainer.set_prefetch(true);
  EpochLoop loop(trainer);
  loop.start(std::numeric_limits<int32_t>::max());
  loop.begin_epoch(*data);
  StepStats s{};
  double flops = 0;
  for (auto _ : state) {
    if (loop.run(*data, 1, &s) == 0) loop.begin_epoch(*data), loop.run(*data, 1, &s);
    flops += s.step_flops;
  }
  state.counters["samples/s"] =
      benchmark::Counter(double(state.iterations() * config.batch_size), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter(flops / 1e9 / bench::fma_peak_gflops(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TrainStepEpochLoop)->ArgNames({"K", "gated"})->ArgsProduct({{8, 32}, {0, 1}})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// K-section inference at batch 128 in deterministic mode; bf16 = 1: mixed precision.
void BM_Inference(benchmark::State& state) {
  const int32_t sections = static_cast<int32_t>(state.range(0));
  const bool bf16 = state.range(1) != 0;
  if (bf16 && !bench::bf16_or_skip(state)) return;
  configure_threads(0);
  Network model(make_cpu_backend(), arch(sections), 1);
  if (bf16) model.backend().set_precision(PRECISION_BF16);
  auto data = bench::random_dataset(kBatch, kInput, kClasses, 3);
  std::vector<float> logits(kBatch * kClasses);
  std::vector<float> gates;
  model.eval_gates(EVAL_DETERMINISTIC, gates);
  const double flops_per_batch = model.forward_flops(gates) * kBatch;
  for (auto _ : state) predict(model, data->features.data(), kBatch, EVAL_DETERMINISTIC, logits.data());
  state.counters["samples/s"] = benchmark::Counter(double(state.iterations() * kBatch), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_batch * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter((flops_per_batch * state.iterations() / 1e9) / bench::fma_peak_gflops(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Inference)->ArgNames({"K", "bf16"})->Args({8, 0})->Args({8, 1})->Unit(benchmark::kMicrosecond)->UseRealTime();

// oneDNN's sgemm, row-major C (M,N) = op(A) op(B), on the shapes of one step:
// stem forward, section forward, data backward and weight backward.
void BM_Sgemm(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  const char ta = state.range(3) ? 'T' : 'N', tb = state.range(4) ? 'T' : 'N';
  configure_threads(0);
  std::vector<float> A(M * K, 0.5f), B(K * N, 0.25f), C(M * N);
  const int64_t lda = ta == 'N' ? K : M, ldb = tb == 'N' ? N : K;
  for (auto _ : state)
    dnnl_sgemm(ta, tb, M, N, K, 1.f, A.data(), lda, B.data(), ldb, 0.f, C.data(), N);
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter((2.0 * M * N * K * state.iterations() / 1e9) / bench::fma_peak_gflops(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Sgemm)->ArgNames({"M", "N", "K", "tA", "tB"})
    ->Args({kBatch, kWidth, kInput, 0, 1})   // stem forward  X W^T
    ->Args({kBatch, kWidth, kWidth, 0, 1})   // section forward
    ->Args({kBatch, kWidth, kWidth, 0, 0})   // backward data  dY W
    ->Args({kWidth, kWidth, kBatch, 1, 0})   // backward weights dY^T X
    ->Args({kWidth, kInput, kBatch, 1, 0})   // stem weights
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// Batch norm with the ReLU after it, as a ResNet-20 stage-1 layer sees it (batch 64, 28x28, 16
// channels), forward then backward: fused = 1 (Backend::batchnorm_forward relu,
// batchnorm_backward relu_y, what Network runs) or 0 (the unfused sequence: batch norm, a ReLU
// pass, the ReLU's backward pass, batch norm's backward).
void BM_BatchNormRelu(benchmark::State& state) {
  const bool fused = state.range(0) != 0;
  configure_threads(0);
  const int64_t rows = 64 * 28 * 28, C = 16, n = rows * C;
  auto be = make_cpu_backend();
  std::vector<float> x(n), y(n), dy(n), dx(n), gamma(C, 1.f), beta(C, 0.1f), mean(C), var(C), dgamma(C), dbeta(C);
  for (int64_t i = 0; i < n; ++i) x[i] = float((i * 7919) % 1000) / 500.f - 1.f, dy[i] = float((i * 104729) % 997) / 997.f - 0.5f;
  for (auto _ : state) {
    be->batchnorm_forward(x.data(), y.data(), rows, C, gamma.data(), beta.data(), mean.data(), var.data(), nullptr,
                          nullptr, 0.1f, true, 1e-5f, fused);
    if (!fused) {
      be->relu_forward(y.data(), y.data(), n);
      be->relu_backward(y.data(), dy.data(), n);
    }
    be->batchnorm_backward(x.data(), dy.data(), dx.data(), rows, C, gamma.data(), mean.data(), var.data(),
                           dgamma.data(), dbeta.data(), 1e-5f, fused ? y.data() : nullptr);
    benchmark::DoNotOptimize(dx.data());
  }
  state.counters["elements/s"] = benchmark::Counter(double(n) * state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_BatchNormRelu)->ArgNames({"fused"})->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Training step of a CIFAR ResNet (every gate on: the plain step) on images of
// channels x size x size at the given batch: ResNet-20 on 1x28x28 at batch 64 and on
// 3x32x32 at batch 128, ResNet-56 on 3x32x32 at batch 128.
// bf16 = 1: mixed precision (TrainConfig.precision).
void BM_ResNetTrainStep(benchmark::State& state) {
  const int32_t depth = static_cast<int32_t>(state.range(0));
  const int64_t channels = state.range(1), size = state.range(2), batch = state.range(3);
  const bool bf16 = state.range(4) != 0;
  if (bf16 && !bench::bf16_or_skip(state)) return;
  configure_threads(0);
  Network model(make_cpu_backend(), resnet_cifar(depth, {channels, size, size}, 10), 1);
  auto data = bench::random_dataset(batch * 8, channels * size * size, 10, 4);
  TrainConfig config = bench::resnet_step_config(batch);
  config.precision = bf16 ? PRECISION_BF16 : PRECISION_FP32;
  bench::run_training_steps(state, model, *data, config);
}
BENCHMARK(BM_ResNetTrainStep)->ArgNames({"depth", "C", "HW", "batch", "bf16"})
    ->Args({20, 1, 28, 64, 0})->Args({20, 1, 28, 64, 1})->Args({20, 3, 32, 128, 0})->Args({20, 3, 32, 128, 1})
    ->Args({56, 3, 32, 128, 0})->Args({56, 3, 32, 128, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Preparing a batch (gather 128 rows of the shuffled data set, optionally augmented),
// to set against a step's time. prefetch 0: on the calling thread (what a step spends
// on it without the loader thread). prefetch 1: acquire batch b, queue b+1 on the
// loader thread, with no step in between to hide it behind, so the time is the
// preparation plus the hand-over between the threads: prefetch 1 minus prefetch 0 is
// the hand-over's cost, which a step pays instead of the preparation.
void BM_PrepareBatch(benchmark::State& state) {
  const int64_t C = state.range(0), H = state.range(1), batch = 128;
  const bool augment = state.range(2) != 0, prefetch = state.range(3) != 0;
  auto data = bench::random_dataset(batch * 64, C * H * H, 10, 5);
  std::vector<int64_t> order(data->count);
  for (int64_t i = 0; i < data->count; ++i) order[i] = (i * 7919) % data->count;
  AugmentSpec spec;
  spec.on = augment;
  spec.channels = C;
  spec.height = spec.width = H;
  spec.pad = 4;
  spec.flip = true;
  spec.seed = 1;
  BatchPrefetcher prefetcher(batch, C * H * H, spec);
  prefetcher.set_enabled(prefetch);
  const int64_t batches = data->count / batch;
  auto request = [&](int64_t step) {
    return BatchRequest{data.get(), order.data(), 0, step % batches, batch, batch, step};
  };
  int64_t step = 0;
  for (auto _ : state) {
    const HostBatch& b = prefetcher.acquire(request(step));
    benchmark::DoNotOptimize(b.x.data());
    ++step;
    prefetcher.prefetch(request(step));
  }
  prefetcher.wait();
}
BENCHMARK(BM_PrepareBatch)->ArgNames({"C", "HW", "augment", "prefetch"})
    ->ArgsProduct({{1}, {28}, {0, 1}, {0, 1}})->Args({3, 32, 1, 0})->Args({3, 32, 1, 1})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

// The GEMMs of one plain training step (K sections, every gate on) and nothing else,
// through dnnl_sgemm: the floor a step could reach if everything but the matrix
// products were free. Its GFLOP/s uses the step's own FLOP count (cost.h), so
// BM_TrainStep GFLOP/s divided by this is the fraction of GEMM speed the step reaches.
void BM_StepGemmsOnly(benchmark::State& state) {
  const int32_t sections = static_cast<int32_t>(state.range(0));
  configure_threads(0);
  const int64_t B = kBatch, D = kWidth, I = kInput, C = kClasses;
  std::vector<float> x(B * I, 0.5f), w_stem(D * I, 0.01f), w(D * D, 0.01f), w_head(C * D, 0.01f);
  std::vector<float> act(B * D, 0.5f), out(B * D), dw(std::max(D * I, D * D));
  std::vector<float> logits(B * C), head_grad(B * C, 0.1f);
  auto gemm = [](char ta, char tb, int64_t M, int64_t N, int64_t K, const float* A, const float* Bm, float* Cm) {
    dnnl_sgemm(ta, tb, M, N, K, 1.f, A, ta == 'N' ? K : M, Bm, tb == 'N' ? N : K, 0.f, Cm, N);
  };
  for (auto _ : state) {
    gemm('N', 'T', B, D, I, x.data(), w_stem.data(), out.data());            // stem forward
    for (int32_t l = 0; l < sections; ++l) {
      gemm('N', 'T', B, D, D, act.data(), w.data(), out.data());             // fc1
      gemm('N', 'T', B, D, D, act.data(), w.data(), out.data());             // fc2
    }
    gemm('N', 'T', B, C, D, act.data(), w_head.data(), logits.data());      // head
    gemm('T', 'N', C, D, B, head_grad.data(), act.data(), dw.data());        // head dW
    gemm('N', 'N', B, D, C, head_grad.data(), w_head.data(), out.data());    // head dX
    for (int32_t l = 0; l < sections; ++l)
      for (int k = 0; k < 2; ++k) {
        gemm('T', 'N', D, D, B, act.data(), act.data(), dw.data());          // dW
        gemm('N', 'N', B, D, D, act.data(), w.data(), out.data());           // dX
      }
    gemm('T', 'N', D, I, B, act.data(), x.data(), dw.data());                // stem dW
  }
  std::vector<float> on(sections, 1.f);
  const double flops = cost::training_step_flops(cost::forward_flops(plan_of(arch(sections)), on), kBatch);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter((flops * state.iterations() / 1e9) / bench::fma_peak_gflops(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_StepGemmsOnly)->ArgNames({"K"})->Arg(8)->Arg(32)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
// The FMA peak itself (fma_peak.h): the ceiling the of_peak counters divide by.
void BM_FmaPeak(benchmark::State& state) {
  configure_threads(0);
  double gflops = 0;
  for (auto _ : state) gflops = bench::measure_fma_peak_gflops(500000);
  state.counters["GFLOP/s"] = gflops;
  state.counters["threads"] = configured_threads();
}
BENCHMARK(BM_FmaPeak)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

// The bf16 dot-product peak (fma_peak.h), the ceiling of_bf16_peak divides by.
void BM_Bf16DotPeak(benchmark::State& state) {
  if (!bench::bf16_or_skip(state)) return;
  configure_threads(0);
  double gflops = 0;
  for (auto _ : state) gflops = bench::measure_bf16_dot_peak_gflops(500000);
  state.counters["GFLOP/s"] = gflops;
  state.counters["of_fma_peak"] = gflops / bench::fma_peak_gflops();
}
BENCHMARK(BM_Bf16DotPeak)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace layerprune

BENCHMARK_MAIN();
