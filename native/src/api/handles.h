// The C API's opaque handles, shared by api.cpp and api_checkpoint.cpp.
#pragma once
#include <memory>
#include <mutex>
#include <string>

#include "io/normalizer_record.h"
#include "layerprune/api.h"
#include "method/epoch_loop.h"
#include "method/trainer.h"
#include "model/network.h"

namespace layerprune {

// Which of the spec structs' factories built a model (kNone: model_create from a description).
// Checkpoints record it beside the description, so a model saved from a spec reads back as that
// spec (the Java API's ResidualMlp.Spec, ResNet.Spec, ...); the network is always the
// description's.
struct ModelRecipe {
  enum Kind { kNone = 0, kMlp, kResNet, kVgg16, kLeNet5 };
  Kind kind = kNone;
  MlpSpec mlp{};
  ResNetSpec resnet{};
  VggSpec image{};  // VGG16 and LeNet-5
};

struct Model {
  // One C API call of a model at a time: the network's activation buffers, plan caches, gates and
  // weights are per model, and a trainer step changes them. Every entry point that touches `net`,
  // `normalizer` or `trainer` holds it (hold() below); recursive because checkpoint and export
  // entry points call others. It does not make destroying a model in use safe: the Java handle
  // waits for calls in flight before it calls model_destroy.
  mutable std::recursive_mutex mu;
  std::unique_ptr<Network> net;
  Trainer* trainer = nullptr;  // the trainer bound to this model, if any
  ModelRecipe recipe;
  int64_t seed = 0;
  std::string architecture;  // canonical JSON of net->architecture()
  io::Normalizer normalizer;  // raw features -> the training data's (api_data.h); empty: none
};

struct Trainer {
  Model* model;
  std::unique_ptr<TrainingSession> session;
  std::unique_ptr<EpochLoop> loop;  // over `session`; made with it, so trainer_epoch_stop needs no lock
};

// The lock of a model (non-null) for the duration of a C API call.
inline std::unique_lock<std::recursive_mutex> hold(const Model* m) {
  return std::unique_lock<std::recursive_mutex>(m->mu);
}

// A model of `arch` (validated by the network) on `device`, its description kept as JSON.
Model* make_model(const Architecture& arch, int64_t seed, int32_t device, const ModelRecipe& recipe);
// The description a spec struct's factory builds.
Architecture recipe_architecture(const ModelRecipe& recipe);

}  // namespace layerprune
