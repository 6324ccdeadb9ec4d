// A short training run on synthetic data, recorded for comparing two backends (the
// CUDA end-to-end test holds the GPU run to the reference run with these).
#pragma once
#include <memory>
#include <vector>

#include "layerprune/api.h"
#include "method/trainer.h"
#include "model/evaluation.h"
#include "model/gated_network.h"

namespace layerprune::test {

struct TrainingRecord {
  std::vector<double> losses;        // per step
  std::vector<double> thetas;        // per section, at the end
  std::vector<bool> pruned;          // per section, at the end
  double accuracy = 0;               // evaluation (expected gates) on the training set
};

inline TrainingRecord record_training(GatedNetwork& model, const Dataset& data, const TrainConfig& config,
                                      int epochs) {
  TrainingSession session(model, config);
  TrainingRecord r;
  for (int e = 0; e < epochs; ++e) {
    const int64_t steps = session.begin_epoch(data);
    for (int64_t b = 0; b < steps; ++b) r.losses.push_back(session.step(data, b).loss);
  }
  for (int32_t l = 0; l < model.sections(); ++l) {
    r.thetas.push_back(model.gate(l).theta);
    r.pruned.push_back(model.gate(l).pruned);
  }
  r.accuracy = evaluate(model, data, EVAL_EXPECTED).accuracy;
  return r;
}

}  // namespace layerprune::test
