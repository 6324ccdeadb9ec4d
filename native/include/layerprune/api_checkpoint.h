// layerprune C API, checkpoints: save a model (and its trainer) to a self-describing
// file, read any layerprune container file, restore a model or a whole training run.
//
// The file format (magic "LPCKPT01", format version, library version, named typed
// records, CRC-32) is described in native/src/io/binary_container.h; saves replace
// the target atomically, so a crash during a save never damages the previous file.
// Every function succeeds or throws layerprune::Error naming the problem
// ("not a layerprune checkpoint (bad magic ...)", "truncated at byte N",
// "checksum mismatch", "format version V is newer than this library supports").
#pragma once
#include <cstdint>

#include "layerprune/api.h"

namespace layerprune {

struct ContainerFile;  // a parsed, validated container file held in memory

// How a checkpointed model was built: by one of the spec structs' factories (MODEL_MLP ..
// MODEL_LENET5) or from an architecture description (MODEL_ARCHITECTURE, model_create).
enum ModelKind { MODEL_MLP = 1, MODEL_RESNET = 2, MODEL_VGG16 = 3, MODEL_LENET5 = 4, MODEL_ARCHITECTURE = 5 };

// The fields of its kind are set, the rest 0; seed is set for every kind.
struct ArchitectureSpec {
  int32_t kind;  // ModelKind
  MlpSpec mlp;
  ResNetSpec resnet;
  VggSpec image;  // MODEL_VGG16, MODEL_LENET5
  int64_t seed;   // the weight initialisation seed
};

// Writes model + trainer state (trainer may be null: the model alone) and a metadata
// string (the Java side's JSON) to `path`, atomically.
void checkpoint_save(Model* model, Trainer* trainer, const char* metadata, const char* path);

// Reads and validates a checkpoint ("LPCKPT01"). Any other file raises Error.
ContainerFile* checkpoint_read(const char* path);
// Reads any layerprune container (magic "LP" + 6 characters: checkpoints, exported
// models); for inspect.
ContainerFile* container_read(const char* path);
void container_destroy(ContainerFile* file);
// JSON: {"magic", "format_version", "library_version", "file_bytes", "records":
// [{"name", "type", "length"}...]}; valid while the handle is open.
const char* container_summary(const ContainerFile* file);
int32_t container_has(const ContainerFile* file, const char* name);
// A string record; valid while the handle is open.
const char* container_string(const ContainerFile* file, const char* name);

void checkpoint_architecture(const ContainerFile* file, ArchitectureSpec* out);
// The saved model's architecture description (canonical JSON; for files from before
// descriptions, the one of their preset); valid while the handle is open.
const char* checkpoint_architecture_json(const ContainerFile* file);
// Whether the checkpoint carries a trainer (optimizer, RNG, counters).
int32_t checkpoint_has_trainer(const ContainerFile* file);
// The training configuration (only with a trainer).
void checkpoint_train_config(const ContainerFile* file, TrainConfig* out);
// A new model with the checkpoint's architecture, weights, gates and pruned set.
Model* checkpoint_restore_model(const ContainerFile* file);
// A trainer on `model` (from checkpoint_restore_model of the same file) that continues
// the saved run bit-exactly: optimizer momentum, RNG, step and FLOP counters, epoch
// permutation, estimator state.
Trainer* checkpoint_restore_trainer(const ContainerFile* file, Model* model);

}  // namespace layerprune
