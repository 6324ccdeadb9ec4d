// Writes the legacy checkpoint corpus of checkpoint_test's LegacyCheckpoints tests: files in the
// format before the architecture description (records "arch.kind" + the spec's sizes), saved by
// the library at commit e260092 (main just before the description was merged: recipe records, and the
// trainer state of that commit), one per recipe kind that is small
// enough to check in, each after one epoch of training with a trainer, and expected.txt with what
// that library computed from them: the deterministic and expected logits of 4 fixed inputs and
// the losses of the next (resumed) epoch. Not part of the build; kept to show how the files came
// about:
//   g++ -std=c++17 -O2 -Inative/include -Inative/src make_legacy_checkpoints.cpp \
//       -Ltarget/native/lib -llayerprune -Wl,-rpath,$PWD/target/native/lib -o /tmp/mk && /tmp/mk DIR
#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.h"
#include "layerprune/api.h"
#include "layerprune/api_checkpoint.h"

using namespace layerprune;

static Dataset* blobs(int64_t count, int64_t dim, int32_t classes, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> means(static_cast<size_t>(classes * dim));
  for (float& m : means) m = float(rng.normal());
  std::vector<float> x(static_cast<size_t>(count * dim));
  std::vector<int32_t> y(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    y[i] = int32_t(rng.below(classes));
    for (int64_t d = 0; d < dim; ++d) x[i * dim + d] = means[y[i] * dim + d] + float(rng.normal());
  }
  return dataset_create(x.data(), y.data(), count, dim, classes);
}

static TrainConfig config(double lambda) {
  TrainConfig c{};
  train_config_defaults(&c);
  c.batch_size = 16;
  c.lambda = lambda;
  c.eta_theta = 0.1;
  c.patience = 2;
  c.estimator = ESTIMATOR_TWO_POINT;
  c.pruning_rule = PRUNING_RULE_PLAIN;
  c.total_steps = 12;
  c.seed = 7;
  return c;
}

static std::vector<double> epoch(Trainer* t, Dataset* d) {
  std::vector<double> losses;
  StepStats s{};
  const int64_t steps = trainer_begin_epoch(t, d);
  for (int64_t b = 0; b < steps; ++b) {
    trainer_step(t, d, b, &s);
    losses.push_back(s.loss);
  }
  return losses;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const std::string dir = argv[1];
  set_num_threads(1);
  FILE* out = std::fopen((dir + "/expected.txt").c_str(), "w");
  struct Case {
    const char* name;
    Model* model;
    int64_t dim;
    double lambda;  // the prior's strength: some sections pruned, some kept
  };
  MlpSpec mlp{12, 16, 4, 3, 11, 0};
  ResNetSpec resnet{8, 2, 6, 6, 3, 1, 13, 0};
  VggSpec lenet{1, 12, 12, 3, 17, 0};
  Case cases[] = {{"mlp", model_create_mlp(&mlp), 12, 0.5},
                  {"resnet", model_create_resnet(&resnet), 2 * 6 * 6, 0.005},
                  {"lenet5", model_create_lenet5(&lenet), 144, 0.005}};
  for (Case& c : cases) {
    Dataset* data = blobs(48, c.dim, 3, 5);
    const TrainConfig cfg = config(c.lambda);
    Trainer* t = trainer_create(c.model, &cfg);
    epoch(t, data);
    const std::string path = dir + "/" + c.name + ".lpckpt";
    checkpoint_save(c.model, t, "{\"legacy\":true}", path.c_str());
    std::fprintf(out, "%s\n", c.name);
    Dataset* probe = blobs(4, c.dim, 3, 9);
    std::vector<float> x(static_cast<size_t>(4 * c.dim));
    {
      Rng rng(9);  // the same features blobs(4, dim, 3, 9) holds
      std::vector<float> means(static_cast<size_t>(3 * c.dim));
      for (float& m : means) m = float(rng.normal());
      for (int64_t i = 0; i < 4; ++i) {
        const int32_t y = int32_t(rng.below(3));
        for (int64_t d = 0; d < c.dim; ++d) x[i * c.dim + d] = means[y * c.dim + d] + float(rng.normal());
      }
    }
    for (int32_t mode : {EVAL_DETERMINISTIC, EVAL_EXPECTED}) {
      std::vector<float> logits(12);
      model_predict(c.model, x.data(), 4, mode, logits.data());
      std::fprintf(out, "logits%d", mode);
      for (float v : logits) std::fprintf(out, " %.9g", v);
      std::fprintf(out, "\n");
    }
    std::fprintf(out, "params %lld\n", static_cast<long long>(model_params(c.model)));
    std::fprintf(out, "flops %.17g\n", model_flops_per_sample(c.model, EVAL_EXPECTED));
    const std::vector<double> next = epoch(t, data);
    std::fprintf(out, "resumed_losses");
    for (double v : next) std::fprintf(out, " %.17g", v);
    std::fprintf(out, "\n");
    trainer_destroy(t);
    model_destroy(c.model);
    dataset_destroy(data);
    dataset_destroy(probe);
  }
  std::fclose(out);
  return 0;
}
