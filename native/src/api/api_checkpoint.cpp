// The checkpoint C API: argument checks and handle bookkeeping; the records are
// written by io/network_state and TrainingSession's serialization hooks.
#include "layerprune/api_checkpoint.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>

#include "api/handles.h"
#include "core/error.h"
#include "io/binary_container.h"
#include "io/network_state.h"
#include "io/normalizer_record.h"
#include "model/architecture_json.h"

namespace layerprune {

struct ContainerFile {
  io::Container container;
  uint64_t file_bytes = 0;
  std::string summary;
  std::string scratch;  // the last string record handed out
};

namespace {

constexpr const char* kCheckpointMagic = "LPCKPT01";
constexpr uint32_t kCheckpointFormat = 1;

const ContainerFile& checked_file(const ContainerFile* f) {
  require(f != nullptr, "the checkpoint handle is null (closed or never created)");
  return *f;
}

void require_checkpoint(const ContainerFile& f) {
  require(f.container.magic() == kCheckpointMagic, "could not use the file as a checkpoint because its magic is '",
          f.container.magic(), "', not '", kCheckpointMagic, "'");
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string make_summary(const ContainerFile& f) {
  const io::Container& c = f.container;
  std::ostringstream out;
  out << "{\"magic\":" << json_string(c.magic()) << ",\"format_version\":" << c.format_version()
      << ",\"library_version\":" << json_string(c.library_version()) << ",\"file_bytes\":" << f.file_bytes
      << ",\"records\":[";
  bool first = true;
  for (const io::Record& r : c.records()) {
    out << (first ? "" : ",") << "{\"name\":" << json_string(r.name) << ",\"type\":"
        << json_string(io::record_type_name(r.type)) << ",\"bytes\":" << r.payload.size();
    if (r.type == io::RecordType::U32) out << ",\"value\":" << c.get_u32(r.name);
    if (r.type == io::RecordType::I64) out << ",\"value\":" << c.get_i64(r.name);
    if (r.type == io::RecordType::F64) out << ",\"value\":" << json_number(c.get_f64(r.name));
    if (r.type != io::RecordType::U32 && r.type != io::RecordType::I64 && r.type != io::RecordType::F64 &&
        r.type != io::RecordType::String && r.type != io::RecordType::Bytes)
      out << ",\"length\":" << c.array_length(r.name);
    out << "}";
    first = false;
  }
  out << "]}";
  return out.str();
}

ContainerFile* read_file(const char* path, const io::ReadExpectation& expect) {
  require(path != nullptr && *path != '\0', "could not read a checkpoint because no file name was given");
  auto f = std::make_unique<ContainerFile>();
  f->container = io::read_container(path, expect);
  f->file_bytes = f->container.serialized_size();  // the parser accepts only the exact layout
  f->summary = make_summary(*f);
  return f.release();
}

// Each architecture's records, listed once for both directions (put_architecture and
// checkpoint_architecture) so that saving and reading cannot drift apart: `field(name,
// member)` is called for every size and seed, in the order the records are written.
template <typename Field>
void arch_fields(MlpSpec& s, Field&& field) {
  field("arch.input_size", s.input_size);
  field("arch.width", s.width);
  field("arch.sections", s.sections);
  field("arch.classes", s.classes);
  field("arch.seed", s.seed);
}

// The image shape and classes, common to the convolutional networks' specs.
template <typename ImageSpec, typename Field>
void image_fields(ImageSpec& s, Field&& field) {
  field("arch.channels", s.channels);
  field("arch.height", s.height);
  field("arch.image_width", s.width);
  field("arch.classes", s.classes);
}

template <typename Field>
void arch_fields(ResNetSpec& s, Field&& field) {
  field("arch.depth", s.depth);
  image_fields(s, field);
  field("arch.post_activation", s.post_activation);
  field("arch.seed", s.seed);
}

template <typename Field>
void arch_fields(VggSpec& s, Field&& field) {  // VGG16 and LeNet-5
  image_fields(s, field);
  field("arch.seed", s.seed);
}

// The architecture records: "arch.kind" (the spec factory's kind, or "architecture"), that
// factory's sizes (arch_fields) or "arch.seed", and "arch.json", the description the network is
// built from when the file is read. Files from before descriptions have no "arch.json".
void put_architecture(const Model& model, io::Container& out) {
  ModelRecipe r = model.recipe;  // arch_fields visits mutable members (it also serves reading)
  const auto put = [&out](const char* name, int64_t value) { out.put_i64(name, value); };
  switch (r.kind) {
    case ModelRecipe::kMlp:
      out.put_string("arch.kind", "mlp");
      arch_fields(r.mlp, put);
      break;
    case ModelRecipe::kResNet:
      out.put_string("arch.kind", "resnet");
      arch_fields(r.resnet, put);
      break;
    case ModelRecipe::kVgg16:
    case ModelRecipe::kLeNet5:
      out.put_string("arch.kind", r.kind == ModelRecipe::kVgg16 ? "vgg16" : "lenet5");
      arch_fields(r.image, put);
      break;
    case ModelRecipe::kNone:
      out.put_string("arch.kind", "architecture");
      out.put_i64("arch.seed", model.seed);
      break;
  }
  out.put_string("arch.json", model.architecture);
}

// Files from before descriptions named the convolutional networks' head "head.w" and
// "head.b" (each with ".w" and ".v"); every other tensor kept its name.
std::string legacy_conv_record(const std::string& name) {
  if (name == "head.W") return "head.w.w";
  if (name == "head.vW") return "head.w.v";
  if (name == "head.b") return "head.b.w";
  if (name == "head.vb") return "head.b.v";
  return name;
}

ModelRecipe recipe_of(const ArchitectureSpec& spec) {
  ModelRecipe r;
  switch (spec.kind) {
    case MODEL_MLP: r.kind = ModelRecipe::kMlp, r.mlp = spec.mlp; break;
    case MODEL_RESNET: r.kind = ModelRecipe::kResNet, r.resnet = spec.resnet; break;
    case MODEL_VGG16: r.kind = ModelRecipe::kVgg16, r.image = spec.image; break;
    case MODEL_LENET5: r.kind = ModelRecipe::kLeNet5, r.image = spec.image; break;
    default: break;
  }
  return r;
}

int32_t small_int(const io::Container& c, const char* name) {
  const int64_t v = c.get_i64(name);
  require(v >= INT32_MIN && v <= INT32_MAX, "could not read record '", name, "' because ", v,
          " does not fit 32 bits (corrupt)");
  return static_cast<int32_t>(v);
}

}  // namespace

void checkpoint_save(Model* model, Trainer* trainer, const char* metadata, const char* path) {
  require(model != nullptr, "the model handle is null (closed or never created)");
  require(path != nullptr && *path != '\0', "could not save a checkpoint because no file name was given");
  auto held = hold(model);  // the model's state is copied under its lock; the file is written after
  if (trainer != nullptr) {
    require(trainer->model == model, "could not save a checkpoint because the trainer is not bound to this model");
  }
  io::Container c(kCheckpointMagic, kCheckpointFormat, version());
  put_architecture(*model, c);
  c.put_string("metadata", metadata ? metadata : "");
  io::save_network_state(*model->net, c);
  io::put_normalizer(model->normalizer, c);
  c.put_u32("has_trainer", trainer ? 1 : 0);
  if (trainer) {
    io::save_train_config(trainer->session->config(), c);
    trainer->session->save_state(c);
  }
  const auto bytes = c.serialize();
  held.unlock();
  io::write_file_atomically(path, bytes);
}

ContainerFile* checkpoint_read(const char* path) { return read_file(path, {kCheckpointMagic, "checkpoint", kCheckpointFormat}); }

ContainerFile* container_read(const char* path) {
  // No magic: any layerprune container, of any version (inspect shows them all).
  return read_file(path, {"", "file (no container magic)", UINT32_MAX});
}

void container_destroy(ContainerFile* file) { delete file; }

const char* container_summary(const ContainerFile* f) { return checked_file(f).summary.c_str(); }

int32_t container_has(const ContainerFile* f, const char* name) {
  require(name != nullptr, "the record name is null");
  return checked_file(f).container.has(name) ? 1 : 0;
}

const char* container_string(const ContainerFile* f, const char* name) {
  require(name != nullptr, "the record name is null");
  ContainerFile& file = const_cast<ContainerFile&>(checked_file(f));
  file.scratch = file.container.get_string(name);
  return file.scratch.c_str();
}

void checkpoint_architecture(const ContainerFile* f, ArchitectureSpec* out) {
  const io::Container& c = checked_file(f).container;
  require_checkpoint(*f);
  require(out != nullptr, "the architecture output is null");
  *out = ArchitectureSpec{};
  const std::string kind = c.get_string("arch.kind");
  // 32-bit fields are range-checked: a corrupt file must not wrap around.
  const auto get = [&c](const char* name, auto& member) {
    if constexpr (std::is_same_v<std::decay_t<decltype(member)>, int32_t>)
      member = small_int(c, name);
    else
      member = c.get_i64(name);
  };
  if (kind == "mlp") {
    out->kind = MODEL_MLP;
    arch_fields(out->mlp, get);
    out->seed = out->mlp.seed;
  } else if (kind == "resnet") {
    out->kind = MODEL_RESNET;
    arch_fields(out->resnet, get);
    out->seed = out->resnet.seed;
  } else if (kind == "vgg16" || kind == "lenet5") {
    out->kind = kind == "vgg16" ? MODEL_VGG16 : MODEL_LENET5;
    arch_fields(out->image, get);
    out->seed = out->image.seed;
  } else if (kind == "architecture") {
    out->kind = MODEL_ARCHITECTURE;
    out->seed = c.get_i64("arch.seed");
  } else {
    fail("could not read the checkpoint's architecture because its kind '", kind, "' is unknown");
  }
}

namespace {

// The description the saved network has: "arch.json", or the preset of the spec's sizes.
Architecture saved_architecture(const ContainerFile* f, const ArchitectureSpec& spec) {
  const io::Container& c = f->container;
  if (c.has("arch.json")) return architecture_from_json(c.get_string("arch.json"));
  require(spec.kind != MODEL_ARCHITECTURE, "could not read the checkpoint's architecture because record 'arch.json' "
          "is missing (corrupt)");
  return recipe_architecture(recipe_of(spec));
}

}  // namespace

const char* checkpoint_architecture_json(const ContainerFile* f) {
  ArchitectureSpec spec{};
  checkpoint_architecture(f, &spec);
  ContainerFile& file = const_cast<ContainerFile&>(checked_file(f));
  file.scratch = to_json(saved_architecture(f, spec));
  return file.scratch.c_str();
}

int32_t checkpoint_has_trainer(const ContainerFile* f) {
  require_checkpoint(checked_file(f));
  return f->container.get_u32("has_trainer") != 0 ? 1 : 0;
}

void checkpoint_train_config(const ContainerFile* f, TrainConfig* out) {
  require(checkpoint_has_trainer(f), "could not read the training configuration because the checkpoint holds "
          "a model without a trainer");
  require(out != nullptr, "the train config output is null");
  *out = io::load_train_config(f->container);
}

Model* checkpoint_restore_model(const ContainerFile* f) {
  ArchitectureSpec spec{};
  checkpoint_architecture(f, &spec);
  // The sizes come from the file: the network validates them, and the tensor sizes are
  // checked against the records before anything is copied.
  const Architecture arch = saved_architecture(f, spec);
  Model* model = make_model(arch, spec.seed, DEVICE_CPU, recipe_of(spec));
  std::unique_ptr<Model, void (*)(Model*)> guard(model, model_destroy);
  const bool legacy_conv = !f->container.has("arch.json") && spec.kind != MODEL_MLP;
  io::restore_network_state(*model->net, f->container, legacy_conv ? legacy_conv_record : nullptr);
  model->normalizer = io::get_normalizer(f->container, model->net->input_size());
  return guard.release();
}

Trainer* checkpoint_restore_trainer(const ContainerFile* f, Model* model) {
  require(model != nullptr, "the model handle is null (closed or never created)");
  const auto held = hold(model);
  require(checkpoint_has_trainer(f), "could not resume training because the checkpoint holds a model without a "
          "trainer (saved with Model.save?)");
  const TrainConfig config = io::load_train_config(f->container);
  Trainer* trainer = trainer_create(model, &config);
  std::unique_ptr<Trainer, void (*)(Trainer*)> guard(trainer, trainer_destroy);
  io::restore_gate_states(*model->net, f->container);  // the new session reset theta to theta0
  trainer->session->restore_state(f->container);
  return guard.release();
}

}  // namespace layerprune
