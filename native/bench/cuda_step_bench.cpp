// GPU benchmarks of the CUDA backend: the same training steps as step_bench.cpp (dense
// K = 8 MLP 784 -> 256 at batch 128; ResNet-20 on 1x28x28 at batch 64 and on 3x32x32 at
// batch 128; ResNet-56 on 3x32x32 at batch 128) and the GEMM / convolution kernels alone,
// so the kernels' efficiency is visible next to the steps that use them.
//
//   layerprune_cuda_bench --benchmark_counters_tabular=true
//
// Counters: samples/s and GFLOP/s (model/cost.h FLOPs: 2 per multiply-add). A step ends
// with the loss copied to the host, so its time includes all of its GPU work; kernel
// benches copy one float back per iteration for the same reason (~10 us, negligible
// against the large shapes). Without a GPU each benchmark reports an error and exits.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/error.h"
#include "layerprune/api.h"
#include "method/trainer.h"
#include "model/cost.h"
#include "model/network.h"
#include "test_support.h"

namespace layerprune {
namespace {

// The CUDA backend, or null with the reason reported to the benchmark.
std::unique_ptr<Backend> cuda_backend(benchmark::State& state) {
  try {
    return make_cuda_backend();
  } catch (const Error& e) {
    state.SkipWithError(e.what());
    return nullptr;
  }
}

using bench::kBatch;
using bench::kClasses;
using bench::kInput;
using bench::kWidth;

void BM_CudaTrainStep(benchmark::State& state) {
  const int32_t sections = static_cast<int32_t>(state.range(0));
  const bool gated = state.range(1) != 0;
  auto be = cuda_backend(state);
  if (!be) return;
  Network model(std::move(be), bench::mlp_arch(sections), 1);
  auto data = bench::random_dataset(kBatch * 40, kInput, kClasses, 2);
  bench::run_training_steps(state, model, *data, bench::mlp_step_config(gated));
}
BENCHMARK(BM_CudaTrainStep)->ArgNames({"K", "gated"})->Args({8, 0})->Args({8, 1})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CudaResNetTrainStep(benchmark::State& state) {
  const int32_t depth = static_cast<int32_t>(state.range(0));
  const int64_t channels = state.range(1), size = state.range(2), batch = state.range(3);
  auto be = cuda_backend(state);
  if (!be) return;
  Network model(std::move(be), resnet_cifar(depth, {channels, size, size}, 10), 1);
  auto data = bench::random_dataset(batch * 8, channels * size * size, 10, 4);
  bench::run_training_steps(state, model, *data, bench::resnet_step_config(batch));
}
BENCHMARK(BM_CudaResNetTrainStep)->ArgNames({"depth", "C", "HW", "batch"})
    ->Args({20, 1, 28, 64})->Args({20, 3, 32, 128})->Args({56, 3, 32, 128})
    ->Unit(benchmark::kMillisecond)->UseRealTime();

// Device buffers of the given sizes, filled with small values, freed at the end.
struct Buffers {
  Backend& be;
  std::vector<float*> p;
  Buffers(Backend& backend, std::initializer_list<int64_t> sizes) : be(backend) {
    for (int64_t n : sizes) {
      p.push_back(static_cast<float*>(be.allocate(sizeof(float) * n)));
      be.fill(p.back(), 0.01f, n);
    }
  }
  ~Buffers() {
    for (float* q : p) be.release(q);
  }
  void sync() {
    float host;
    be.to_host(&host, p[0], sizeof(float));
  }
};

// The tiled FP32 GEMM alone: Y (M,N) = X (M,K) W (N,K)^T (linear_forward), on the MLP's
// shapes and on a large square product (the kernel's best case).
void BM_CudaGemm(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  auto be = cuda_backend(state);
  if (!be) return;
  Buffers b(*be, {M * K, N * K, M * N});
  for (auto _ : state) {
    be->linear_forward(b.p[0], b.p[1], nullptr, b.p[2], M, N, K, false);
    b.sync();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * M * N * K * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaGemm)->ArgNames({"M", "N", "K"})
    ->Args({kBatch, kWidth, kInput})->Args({kBatch, kWidth, kWidth})->Args({1024, 1024, 1024})
    ->Args({4096, 4096, 4096})->Unit(benchmark::kMicrosecond)->UseRealTime();

// One ResNet 3x3 convolution (N=128, HxW, C=K, pad 1) forward, backward data and
// backward weights (op 0, 1, 2): the implicit GEMMs that dominate a ResNet step.
void BM_CudaConv(benchmark::State& state) {
  const int64_t C = state.range(0), HW = state.range(1), op = state.range(2);
  auto be = cuda_backend(state);
  if (!be) return;
  ConvGeometry g;
  g.N = 128, g.C = C, g.H = HW, g.W = HW, g.K = C, g.R = 3, g.S = 3, g.stride = 1, g.pad = 1;
  const int64_t nx = g.N * g.H * g.W * g.C, ny = g.N * g.P() * g.Q() * g.K, nw = g.K * g.C * 9;
  Buffers b(*be, {nx, nw, ny});
  for (auto _ : state) {
    if (op == 0) be->conv_forward(g, b.p[0], b.p[1], b.p[2]);
    if (op == 1) be->conv_backward_data(g, b.p[2], b.p[1], b.p[0], false);
    if (op == 2) be->conv_backward_weights(g, b.p[2], b.p[0], b.p[1]);
    b.sync();
  }
  const double flops = 2.0 * ny * g.C * 9;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CudaConv)->ArgNames({"C", "HW", "op"})
    ->Args({16, 32, 0})->Args({16, 32, 1})->Args({16, 32, 2})
    ->Args({64, 8, 0})->Args({64, 8, 1})->Args({64, 8, 2})
    ->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace layerprune

BENCHMARK_MAIN();
