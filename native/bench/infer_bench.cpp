// Inference of the main job's network (residual MLP 784 -> 256, 12 sections of 256, 10
// classes): the deterministic model's predict against its exported network, with every
// section present (what export itself costs or saves) and with 9 of 12 sections pruned
// (the main job's outcome), at batch 1 (latency) and 128 (throughput); and one exported network
// shared by several request threads (BM_SharedExport).
//
//   layerprune_infer_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "core/threads.h"
#include "export/export_graph.h"
#include "export/exported_network.h"
#include "layerprune/api.h"
#include "layerprune/api_export.h"
#include "model/evaluation.h"
#include "model/network.h"
#include "test_support.h"

namespace layerprune {
namespace {

constexpr int64_t kInput = 784, kWidth = 256, kClasses = 10;
constexpr int32_t kSections = 12;

std::unique_ptr<Network> main_job_network(int32_t pruned) {
  const Architecture a = mlp_architecture(kInput, kWidth, std::vector<int64_t>(kSections, kWidth), kClasses);
  auto m = std::make_unique<Network>(make_cpu_backend(), a, 1);
  for (int32_t l = 0; l < pruned; ++l) m->prune(l * kSections / pruned, 1);  // spread over the depth
  return m;
}

std::vector<float> input(int64_t rows) {
  std::vector<float> x(static_cast<size_t>(rows * kInput));
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 17) * 0.1f - 0.8f;
  return x;
}

// Args: batch, sections pruned, exported (0 = model predict, 1 = exported network).
void BM_Infer(benchmark::State& state) {
  configure_threads(0);  // LAYERPRUNE_THREADS overrides, as in step_bench
  const int64_t batch = state.range(0);
  auto model = main_job_network(static_cast<int32_t>(state.range(1)));
  const bool exported = state.range(2) != 0;
  ExportedNetwork net(build_export_graph(*model), make_cpu_backend());
  const std::vector<float> x = input(batch);
  std::vector<float> logits(static_cast<size_t>(batch * kClasses));
  for (auto _ : state) {
    if (exported)
      net.predict(x.data(), batch, logits.data());
    else
      predict(*model, x.data(), batch, EVAL_DETERMINISTIC, logits.data());
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["samples/s"] = benchmark::Counter(double(batch * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Infer)
    ->ArgNames({"batch", "pruned", "exported"})
    ->ArgsProduct({{1, 128}, {0, 9}, {0, 1}})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Throughput of one exported main-job network shared by 1, 2 and 4 request threads through the
// C API (what ExportedModel.predict calls), against one copy per thread. Args: batch, shared
// (1: every thread calls the same handle, which runs one call at a time; 0: a copy per thread).
// Native threads per call: LAYERPRUNE_THREADS (set 1 to see Java-thread scaling alone).
ExportedModel* shared_export() {
  static ExportedModel* e = [] {
    MlpSpec spec{kInput, kWidth, kSections, int32_t(kClasses), 1, DEVICE_CPU};
    Model* m = model_create_mlp(&spec);
    ExportedModel* x = exported_from_model(m);
    model_destroy(m);
    return x;
  }();
  return e;
}

void BM_SharedExport(benchmark::State& state) {
  configure_threads(0);
  const int64_t batch = state.range(0);
  const bool shared = state.range(1) != 0;
  ExportedModel* e = shared_export();
  std::unique_ptr<ExportedModel, void (*)(ExportedModel*)> own(nullptr, exported_destroy);
  if (!shared) {
    MlpSpec spec{kInput, kWidth, kSections, int32_t(kClasses), 1, DEVICE_CPU};
    Model* m = model_create_mlp(&spec);
    own.reset(exported_from_model(m));
    model_destroy(m);
    e = own.get();
  }
  const std::vector<float> x = input(batch);
  std::vector<float> logits(static_cast<size_t>(batch * kClasses));
  for (auto _ : state) {
    exported_predict(e, x.data(), batch, logits.data());
    benchmark::DoNotOptimize(logits.data());
  }
  state.counters["samples/s"] = benchmark::Counter(double(batch * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SharedExport)
    ->ArgNames({"batch", "shared"})
    ->ArgsProduct({{1, 128}, {1, 0}})
    ->Threads(1)
    ->Threads(2)
    ->Threads(4)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace layerprune

BENCHMARK_MAIN();
