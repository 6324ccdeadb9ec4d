// layerprune_native_train / layerprune_gpu_train: trains and prunes a network on an MNIST-format
// data set from C++, without Java: on the GPU machine (which has no Java) with the CUDA backend,
// and here with the CPU backend for quick experiments. It drives the same native core the Java
// Trainer drives (the epoch loop of method/epoch_loop.h over TrainingSession, then finish) with
// the architecture family's defaults (method/training_defaults.h), and holds out the last --validation training images so
// that hyper-parameters are chosen on them and not on the test set.
//
//   layerprune_native_train [--data DIR] [--depth 20 | --depth 0 (residual MLP 784-256x12)]
//       [--epochs 15] [--train-limit N] [--validation 5000] [--lr X] [--lambda X]
//       [--eta-theta X] [--weight-decay X] [--budget X] [--evidence-z X] [--evidence-horizon X]
//       [--plain] [--prior-norm initial|current] [--no-gates] [--no-augment] [--freeze-epochs N] [--seed 1] [--label NAME]
//       [--reference] [--batch N] [--distributed auto|off|mpi]
//
// Data-parallel (issue 16, docs/SCALING.md): `mpirun -np N layerprune_native_train ...` trains on N
// ranks (--distributed auto detects the launcher; the global batch stays --batch, each rank takes
// a 1/N share); rank 0 prints, every rank prints its rank and pid first.
//
// Prints one line per epoch and a final JSON line (prefix "RESULT ").
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/communicator.h"
#include "core/error.h"
#include "method/epoch_loop.h"
#include "method/trainer.h"
#include "model/architecture.h"
#include "model/evaluation.h"
#include "model/network.h"
#include "tools/tool_support.h"

namespace {

using namespace layerprune;
using namespace layerprune::tools;

std::unique_ptr<Backend> tool_backend(bool reference) {
  if (reference) return make_reference_backend();  // plain loops: checks this program without a GPU
#ifdef LAYERPRUNE_TOOL_CUDA
  return make_cuda_backend();
#else
  return make_cpu_backend();
#endif
}

constexpr const char* kUsage =
    "layerprune_native_train [--data DIR] [--depth 20 | --depth 0 (residual MLP 784-256 x --sections 12)]\n"
    "    [--epochs 15] [--train-limit N] [--validation 5000] [--batch N] [--lr X] [--lambda X] [--eta-theta X]\n"
    "    [--weight-decay X] [--budget X] [--evidence-z X] [--evidence-horizon X] [--plain] [--two-point]\n"
    "    [--prior-norm initial|current] [--no-gates] [--no-augment] [--freeze-epochs N] [--trace-evidence]\n"
    "    [--seed 1] [--label NAME] [--reference] [--distributed auto|off|mpi]\n"
    "Trains and prunes on an MNIST-format data set with the architecture family's defaults; one line per\n"
    "epoch, then a RESULT line of JSON.\n";

int run(int argc, char** argv) {
  if (!check_args(argc, argv, kUsage,
                  {"--data", "--label", "--depth", "--epochs", "--validation", "--train-limit", "--freeze-epochs",
                   "--seed", "--lr", "--lambda", "--eta-theta", "--weight-decay", "--budget", "--evidence-z",
                   "--evidence-horizon", "--prior-norm", "--batch", "--distributed", "--sections"},
                  {"--plain", "--no-gates", "--no-augment", "--reference", "--trace-evidence", "--two-point"}))
    return 0;
  const std::string data = sarg(argc, argv, "--data", "/usr/share/datasets/fashion-mnist");
  const std::string label = sarg(argc, argv, "--label", "run");
  const int depth = static_cast<int>(arg(argc, argv, "--depth", 20));
  const int epochs = static_cast<int>(arg(argc, argv, "--epochs", 15));
  const int64_t validation = static_cast<int64_t>(arg(argc, argv, "--validation", 5000));
  const int64_t train_limit = static_cast<int64_t>(arg(argc, argv, "--train-limit", 0));
  const double freeze_epochs = arg(argc, argv, "--freeze-epochs", 0);
  const uint64_t seed = static_cast<uint64_t>(arg(argc, argv, "--seed", 1));

  Splits splits = load_splits(data, validation, train_limit);
  Dataset& train = splits.train;
  std::unique_ptr<GatedNetwork> model;
  TrainConfig c;
  if (depth > 0) {
    model = std::make_unique<Network>(tool_backend(flag(argc, argv, "--reference")),
                                      resnet_cifar(depth, {1, splits.side, splits.side}, 10), seed);
    c = default_train_config(FAMILY_RESNET);
  } else {
    const Architecture a = mlp_architecture(
        train.dim, 256, std::vector<int64_t>(static_cast<size_t>(arg(argc, argv, "--sections", 12)), 256), 10);
    model = std::make_unique<Network>(tool_backend(flag(argc, argv, "--reference")), a, seed);
    c = default_train_config(FAMILY_MLP);
  }
  const int64_t epoch_steps = steps_per_epoch(train.count, c.batch_size);
  c.eta_w = arg(argc, argv, "--lr", c.eta_w);
  c.lambda = arg(argc, argv, "--lambda", c.lambda);
  c.eta_theta = arg(argc, argv, "--eta-theta", c.eta_theta);
  c.weight_decay = arg(argc, argv, "--weight-decay", c.weight_decay);
  c.estimator_budget = arg(argc, argv, "--budget", c.estimator_budget);
  c.evidence_z = arg(argc, argv, "--evidence-z", c.evidence_z);
  c.evidence_horizon = arg(argc, argv, "--evidence-horizon", c.evidence_horizon);
  if (flag(argc, argv, "--plain")) c.pruning_rule = PRUNING_RULE_PLAIN;
  const std::string prior_norm = sarg(argc, argv, "--prior-norm", c.prior_norm == PRIOR_NORM_INITIAL ? "initial" : "current");
  require(prior_norm == "initial" || prior_norm == "current", "--prior-norm must be initial or current, got ", prior_norm);
  c.prior_norm = prior_norm == "initial" ? PRIOR_NORM_INITIAL : PRIOR_NORM_CURRENT;
  if (flag(argc, argv, "--two-point")) c.estimator = ESTIMATOR_TWO_POINT;
  if (flag(argc, argv, "--no-gates")) c.no_gates = 1;
  if (flag(argc, argv, "--no-augment")) c.augment_pad = 0, c.augment_flip = 0;
  c.total_steps = epochs * epoch_steps;
  c.theta_freeze_steps = static_cast<int64_t>(freeze_epochs * epoch_steps);
  c.seed = static_cast<int64_t>(seed);
  c.batch_size = static_cast<int32_t>(arg(argc, argv, "--batch", c.batch_size));
  validate(c);
  const std::unique_ptr<Communicator> comm = open_world_communicator(sarg(argc, argv, "--distributed", "auto"));
  if (comm->size() > 1) {
    std::fprintf(stderr, "[%s] distributed: rank %d of %d (%s), pid %d\n", label.c_str(), comm->rank(), comm->size(),
                 comm->name(), static_cast<int>(getpid()));
    if (comm->rank() != 0 && std::freopen("/dev/null", "w", stdout) == nullptr) fail("could not silence rank ", comm->rank());
  }

  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  double eval_seconds = 0;
  TrainingSession session(*model, c);
  session.set_communicator(comm.get());
  EpochLoop loop(session);  // the epochs and their batches: the same loop as the Java Trainer's
  loop.start(epochs);
  while (loop.begin_epoch(train)) {
    loop.run_epoch(train);
    const EpochStats& es = loop.stats();
    const double e0 = seconds();
    const EvalStats v = evaluate(*model, splits.validation, EVAL_EXPECTED);
    const EvalStats vd = evaluate(*model, splits.validation, EVAL_DETERMINISTIC);
    eval_seconds += seconds() - e0;
    std::printf("[%s] epoch %d/%d loss %.4f val acc %.4f expected %.4f deterministic, live %d/%d, %.1f s, "
                "estimator %.3f, theta [",
                label.c_str(), es.epoch, epochs, es.loss, v.accuracy, vd.accuracy, es.live_sections, model->sections(),
                seconds(),
                session.cumulative_estimator_flops() / session.cumulative_flops_unpruned());
    for (int32_t l = 0; l < model->sections(); ++l)
      std::printf(model->gate(l).pruned ? " -" : " %.2f", model->gate(l).theta);
    std::printf(" ]\n");
    if (flag(argc, argv, "--trace-evidence")) {  // per section: 1e3 x (mean, SE, long mean, long SE, prior, tau)
      for (int32_t l = 0; l < model->sections(); ++l) {
        if (model->gate(l).pruned) continue;
        std::printf("  s%-2d theta %.2f  mean %8.2f se %6.2f  long %8.2f se %6.2f  prior %6.2f tau %6.2f\n", l,
                    model->gate(l).theta, 1e3 * session.evidence_mean(l), 1e3 * session.evidence_stderr(l),
                    1e3 * session.evidence_long_mean(l), 1e3 * session.evidence_long_stderr(l),
                    1e3 * session.prior_gradient()[l], 1e3 * session.tau(l));
      }
    }
    std::fflush(stdout);
  }
  const double train_seconds = seconds();
  session.finish();
  const EvalStats val_det = evaluate(*model, splits.validation, EVAL_DETERMINISTIC);
  const EvalStats test_det = evaluate(*model, splits.test, EVAL_DETERMINISTIC);
  int kept = 0;
  std::string pruned;
  for (int32_t l = 0; l < model->sections(); ++l) {
    if (!model->gate(l).pruned) ++kept;
    else pruned += (pruned.empty() ? "" : ", ") + std::to_string(l) + "@" + std::to_string(model->gate(l).pruned_at_step);
  }
  std::printf("RESULT {\"label\":\"%s\",\"depth\":%d,\"epochs\":%d,\"lambda\":%g,\"eta_theta\":%g,\"budget\":%g,"
              "\"evidence_z\":%g,\"prior_norm\":%d,\"train\":%lld,\"validation\":%lld,\"val_acc_det\":%.4f,\"test_acc_det\":%.4f,"
              "\"kept\":%d,\"sections\":%d,\"pruned\":\"%s\",\"flops_ratio\":%.4f,\"estimator_ratio\":%.4f,"
              "\"seconds\":%.1f,\"eval_seconds\":%.1f,\"ranks\":%d,\"samples_per_second\":%.1f,"
              "\"reduce_floats\":%lld,\"reduce_seconds\":%.3f}\n",
              label.c_str(), depth, epochs, c.lambda, c.eta_theta, c.estimator_budget, c.evidence_z, c.prior_norm,
              static_cast<long long>(train.count), static_cast<long long>(splits.validation.count), val_det.accuracy,
              test_det.accuracy, kept, model->sections(), pruned.c_str(),
              session.cumulative_flops() / session.cumulative_flops_unpruned(),
              session.cumulative_estimator_flops() / session.cumulative_flops_unpruned(), train_seconds, eval_seconds,
              comm->size(), double(session.steps_done()) * c.batch_size / (train_seconds - eval_seconds),
              static_cast<long long>(session.reduced_floats()), session.total_reduce_seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "layerprune_native_train: %s\n", e.what());
    return 1;
  }
}
