// The C API's opaque handles, shared by api.cpp and api_checkpoint.cpp.
#pragma once
#include <memory>
#include <string>

#include "io/normalizer_record.h"
#include "layerprune/api.h"
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
};

// A model of `arch` (validated by the network) on `device`, its description kept as JSON.
Model* make_model(const Architecture& arch, int64_t seed, int32_t device, const ModelRecipe& recipe);
// The description a spec struct's factory builds.
Architecture recipe_architecture(const ModelRecipe& recipe);

}  // namespace layerprune
