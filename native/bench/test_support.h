// Shared pieces of the CPU and CUDA step benchmarks: synthetic data, the benchmarked shapes and
// configurations, and the timed step loop, so both devices measure exactly the same work.
#pragma once
#include <benchmark/benchmark.h>

#include "fma_peak.h"

#include <memory>
#include <vector>

#include "core/rng.h"
#include "method/trainer.h"
#include "model/architecture.h"
#include "model/dataset.h"
#include "model/gated_network.h"

namespace layerprune::bench {

// The main job's MLP shapes: 784 -> 256 stem, K sections of width 256, 10 classes, batch 128.
constexpr int64_t kInput = 784, kWidth = 256, kBatch = 128, kClasses = 10;

inline std::unique_ptr<Dataset> random_dataset(int64_t count, int64_t dim, int32_t classes, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(count * dim);
  std::vector<int32_t> y(count);
  for (float& v : x) v = float(rng.normal());
  for (int32_t& l : y) l = int32_t(rng.below(classes));
  return std::unique_ptr<Dataset>(make_dataset(x.data(), y.data(), count, dim, classes));
}

inline Architecture mlp_arch(int32_t sections) {
  return mlp_architecture(kInput, kWidth, std::vector<int64_t>(size_t(sections), kWidth), kClasses);
}

// gated 0: no gates, the plain residual step. gated 1: gates sampled at theta 0.5, two-point
// estimator at its default fraction, theta held (eta_theta = 0, no pruning).
inline TrainConfig mlp_step_config(bool gated) {
  TrainConfig c = default_train_config();
  c.batch_size = kBatch;
  c.no_gates = gated ? 0 : 1;
  c.theta0 = gated ? 0.5 : 1.0;
  c.eta_theta = 0.0;
  c.patience = 1 << 30;
  return c;
}

// A CIFAR ResNet's plain step (every gate on) at the conv models' weight decay.
inline TrainConfig resnet_step_config(int64_t batch) {
  TrainConfig c = default_train_config();
  c.batch_size = static_cast<int32_t>(batch);
  c.no_gates = 1;
  c.weight_decay = 5e-4;
  return c;
}

// The FMA peak of the threads the benchmarks use (fma_peak.h), measured once per process: the
// `of_peak` counters are GFLOP/s over it.
inline double fma_peak_gflops() {
  static const double peak = measure_fma_peak_gflops();
  return peak;
}
inline double bf16_dot_peak_gflops() {
  static const double peak = measure_bf16_dot_peak_gflops();
  return peak;
}

// Times training steps over `data`, starting a new epoch whenever one ends, and reports
// samples/s and GFLOP/s (the step's FLOPs from the cost model, estimator passes included).
// prefetch: 1 on, 0 off, -1 the session's default (on unless LAYERPRUNE_PREFETCH=0).
inline void run_training_steps(benchmark::State& state, GatedNetwork& model, const Dataset& data,
                               const TrainConfig& config, int prefetch = -1) {
  TrainingSession trainer(model, config);
  if (prefetch >= 0) trainer.set_prefetch(prefetch != 0);
  int64_t steps = trainer.begin_epoch(data), batch = 0;
  double flops = 0;
  for (auto _ : state) {
    if (batch == steps) batch = 0, steps = trainer.begin_epoch(data);
    flops += trainer.step(data, batch++).step_flops;
  }
  state.counters["samples/s"] =
      benchmark::Counter(double(state.iterations() * config.batch_size), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops / 1e9, benchmark::Counter::kIsRate);
  state.counters["of_peak"] = benchmark::Counter(flops / 1e9 / fma_peak_gflops(), benchmark::Counter::kIsRate);
  if (config.precision == PRECISION_BF16 && bf16_dot_peak_gflops() > 0)
    state.counters["of_bf16_peak"] =
        benchmark::Counter(flops / 1e9 / bf16_dot_peak_gflops(), benchmark::Counter::kIsRate);
}

// Skips a bf16 benchmark, saying why, on a CPU that cannot run bf16; true when it may run.
inline bool bf16_or_skip(benchmark::State& state) {
  const char* lacking = cpu_bf16_unsupported_reason();
  if (*lacking) state.SkipWithError(lacking);
  return *lacking == '\0';
}

}  // namespace layerprune::bench
