// The C API's opaque handles, shared by api.cpp and api_checkpoint.cpp.
#pragma once
#include <memory>

#include "io/normalizer_record.h"
#include "layerprune/api.h"
#include "method/trainer.h"
#include "model/gated_network.h"

namespace layerprune {

// How a model was built: what a checkpoint needs to build it again.
struct ModelRecipe {
  enum Kind { kNone = 0, kMlp, kResNet, kVgg16, kLeNet5 };
  Kind kind = kNone;
  MlpSpec mlp{};
  ResNetSpec resnet{};
  VggSpec image{};  // VGG16 and LeNet-5
};

struct Model {
  std::unique_ptr<GatedNetwork> net;
  Trainer* trainer = nullptr;  // the trainer bound to this model, if any
  ModelRecipe recipe;
  io::Normalizer normalizer;  // raw features -> the training data's (api_data.h); empty: none
};

struct Trainer {
  Model* model;
  std::unique_ptr<TrainingSession> session;
};

}  // namespace layerprune
