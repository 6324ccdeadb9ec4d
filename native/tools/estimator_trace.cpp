// layerprune_estimator_trace: what the theta estimators see during training. Trains a network
// (a CIFAR-style ResNet, or the residual MLP with --depth 0) on an MNIST-format data set with
// the CPU backend and, every --probe-every steps, draws --probe-batches random training
// batches and records for every section, with every gate on: the two-point difference
// d_l = L(xi_l = 1) - L(xi_l = 0) (a re-run per section), the linearized term
// c_l = <dL/d zbar_l, B_l(z_l)> and tau_l. Written as CSV (step,batch,section,d,lin,tau,loss);
// docs/experiments/estimator-trace/ analyses it (variance of d and of d - c, their
// correlation, how D_l = E[d_l] and its noise evolve against tau_l).
//
//   layerprune_estimator_trace [--data DIR] [--depth 20] [--train-limit 10000] [--epochs 3]
//       [--probe-every 10] [--probe-batches 4] [--lambda 0.01] [--gates] [--seed 1] --out FILE
//
// Training runs without gates (the unpruned network) unless --gates is given.
#include <cstdio>
#include <memory>

#include "core/rng.h"
#include "method/epoch_loop.h"
#include "method/trainer.h"
#include "model/architecture.h"
#include "model/network.h"
#include "tools/tool_support.h"

namespace {

using namespace layerprune;
using namespace layerprune::tools;

constexpr const char* kUsage =
    "layerprune_estimator_trace [--data DIR] [--depth 20] [--train-limit 10000] [--epochs 3]\n"
    "    [--probe-every 10] [--probe-batches 4] [--lambda 0.01] [--gates] [--seed 1] --out FILE\n";

int run(int argc, char** argv) {
  if (!check_args(argc, argv, kUsage,
                  {"--data", "--depth", "--train-limit", "--epochs", "--probe-every", "--probe-batches", "--lambda",
                   "--seed", "--out"},
                  {"--gates"}))
    return 0;
  const std::string data = sarg(argc, argv, "--data", "/usr/share/datasets/fashion-mnist");
  const std::string out_path = sarg(argc, argv, "--out", "");
  require(!out_path.empty(), "--out FILE is required");
  const int depth = static_cast<int>(arg(argc, argv, "--depth", 20));
  const int epochs = static_cast<int>(arg(argc, argv, "--epochs", 3));
  const int64_t train_limit = static_cast<int64_t>(arg(argc, argv, "--train-limit", 10000));
  const int64_t probe_every = static_cast<int64_t>(arg(argc, argv, "--probe-every", 10));
  const int probe_batches = static_cast<int>(arg(argc, argv, "--probe-batches", 4));
  const uint64_t seed = static_cast<uint64_t>(arg(argc, argv, "--seed", 1));

  Splits splits = load_splits(data, 0, train_limit);
  Dataset& train = splits.train;
  std::unique_ptr<GatedNetwork> model;
  TrainConfig c;
  if (depth > 0) {
    model = std::make_unique<Network>(make_cpu_backend(), resnet_cifar(depth, {1, splits.side, splits.side}, 10), seed);
    c = default_train_config(FAMILY_RESNET);
  } else {
    model = std::make_unique<Network>(make_cpu_backend(), mlp_architecture(train.dim, 256, std::vector<int64_t>(12, 256), 10),
                                      seed);
    c = default_train_config(FAMILY_MLP);
  }
  c.lambda = arg(argc, argv, "--lambda", c.lambda);
  c.no_gates = flag(argc, argv, "--gates") ? 0 : 1;
  c.seed = static_cast<int64_t>(seed);
  c.total_steps = epochs * steps_per_epoch(train.count, c.batch_size);
  c.train_size = train.count;
  TrainingSession session(*model, c);
  EpochLoop loop(session);
  loop.start(epochs);

  std::FILE* out = std::fopen(out_path.c_str(), "w");
  require(out != nullptr, "could not open ", out_path);
  std::fprintf(out, "step,batch,section,d,lin,tau,loss\n");
  const int32_t L = model->sections();
  const int64_t rows = c.batch_size;
  std::vector<float> on(L, 1.f);
  std::vector<double> lin(L, 0.0);
  std::vector<float> x(static_cast<size_t>(rows * train.dim));
  std::vector<int32_t> y(static_cast<size_t>(rows));
  Rng probe_rng(seed ^ 0x9e3779b97f4a7c15ULL);
  Backend& be = model->backend();
  StepStats s{};
  while (loop.begin_epoch(train)) {
    while (loop.run(train, 1, &s) == 1) {  // one step at a time: the probes run between steps
      if (s.step % probe_every != 0 && s.step != 1) continue;
      for (int p = 0; p < probe_batches; ++p) {
        for (int64_t r = 0; r < rows; ++r) {
          const int64_t i = static_cast<int64_t>(probe_rng.below(static_cast<uint64_t>(train.count)));
          std::copy(train.features.begin() + i * train.dim, train.features.begin() + (i + 1) * train.dim,
                    x.begin() + r * train.dim);
          y[r] = train.labels[i];
        }
        be.to_device(model->input_buffer(), x.data(), sizeof(float) * x.size());
        be.to_device(model->label_buffer(), y.data(), sizeof(int32_t) * y.size());
        for (int32_t l = 0; l < L; ++l) on[l] = model->gate(l).pruned ? 0.f : 1.f;
        model->forward(rows, on, GatedNetwork::kProbe);
        const double loss = model->loss(rows, true, nullptr);
        model->backward(rows, on, GatedNetwork::kRunSections, &lin);
        for (int32_t l = 0; l < L; ++l) {
          if (model->gate(l).pruned) continue;
          const double d = loss - model->rerun_loss(rows, on, l, 0.f);
          std::fprintf(out, "%lld,%d,%d,%.9g,%.9g,%.9g,%.6f\n", static_cast<long long>(s.step), p, l, d, lin[l],
                       session.tau(l), loss);
        }
      }
      std::fflush(out);
    }
    std::printf("epoch %d/%d done, step %lld\n", loop.stats().epoch, epochs,
                static_cast<long long>(session.steps_done()));
    std::fflush(stdout);
  }
  std::fclose(out);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "layerprune_estimator_trace: %s\n", e.what());
    return 1;
  }
}
