// The checkpoint C API: argument checks and handle bookkeeping; the records are
// written by io/network_state and TrainingSession's serialization hooks.
#include "layerprune/api_checkpoint.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

#include "api/handles.h"
#include "core/error.h"
#include "io/binary_container.h"
#include "io/network_state.h"

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

io::ReadExpectation checkpoint_expectation() {
  io::ReadExpectation e;
  e.magic = kCheckpointMagic;
  e.kind = "checkpoint";
  e.max_format_version = kCheckpointFormat;
  return e;
}

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

void put_architecture(const ModelRecipe& r, io::Container& out) {
  switch (r.kind) {
    case ModelRecipe::kMlp:
      out.put_string("arch.kind", "mlp");
      out.put_i64("arch.input_size", r.mlp.input_size);
      out.put_i64("arch.width", r.mlp.width);
      out.put_i64("arch.sections", r.mlp.sections);
      out.put_i64("arch.classes", r.mlp.classes);
      out.put_i64("arch.seed", r.mlp.seed);
      return;
    case ModelRecipe::kResNet:
      out.put_string("arch.kind", "resnet");
      out.put_i64("arch.depth", r.resnet.depth);
      out.put_i64("arch.channels", r.resnet.channels);
      out.put_i64("arch.height", r.resnet.height);
      out.put_i64("arch.image_width", r.resnet.width);
      out.put_i64("arch.classes", r.resnet.classes);
      out.put_i64("arch.post_activation", r.resnet.post_activation);
      out.put_i64("arch.seed", r.resnet.seed);
      return;
    case ModelRecipe::kVgg16:
    case ModelRecipe::kLeNet5:
      out.put_string("arch.kind", r.kind == ModelRecipe::kVgg16 ? "vgg16" : "lenet5");
      out.put_i64("arch.channels", r.image.channels);
      out.put_i64("arch.height", r.image.height);
      out.put_i64("arch.image_width", r.image.width);
      out.put_i64("arch.classes", r.image.classes);
      out.put_i64("arch.seed", r.image.seed);
      return;
    case ModelRecipe::kNone:
      break;
  }
  fail("could not save the checkpoint because the model's architecture is unknown");
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
  if (trainer != nullptr) {
    require(trainer->model == model, "could not save a checkpoint because the trainer is not bound to this model");
  }
  io::Container c(kCheckpointMagic, kCheckpointFormat, version());
  put_architecture(model->recipe, c);
  c.put_string("metadata", metadata ? metadata : "");
  io::save_network_state(*model->net, c);
  c.put_u32("has_trainer", trainer ? 1 : 0);
  if (trainer) {
    io::save_train_config(trainer->session->config(), c);
    trainer->session->save_state(c);
  }
  io::write_file_atomically(path, c.serialize());
}

ContainerFile* checkpoint_read(const char* path) { return read_file(path, checkpoint_expectation()); }

ContainerFile* container_read(const char* path) {
  io::ReadExpectation any;
  any.kind = "file (no container magic)";
  any.max_format_version = UINT32_MAX;  // inspect shows any version
  return read_file(path, any);
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
  if (kind == "mlp") {
    out->kind = MODEL_MLP;
    out->mlp.input_size = c.get_i64("arch.input_size");
    out->mlp.width = c.get_i64("arch.width");
    out->mlp.sections = small_int(c, "arch.sections");
    out->mlp.classes = small_int(c, "arch.classes");
    out->mlp.seed = c.get_i64("arch.seed");
  } else if (kind == "resnet") {
    out->kind = MODEL_RESNET;
    out->resnet.depth = small_int(c, "arch.depth");
    out->resnet.channels = c.get_i64("arch.channels");
    out->resnet.height = c.get_i64("arch.height");
    out->resnet.width = c.get_i64("arch.image_width");
    out->resnet.classes = small_int(c, "arch.classes");
    out->resnet.post_activation = small_int(c, "arch.post_activation");
    out->resnet.seed = c.get_i64("arch.seed");
  } else if (kind == "vgg16" || kind == "lenet5") {
    out->kind = kind == "vgg16" ? MODEL_VGG16 : MODEL_LENET5;
    out->image.channels = c.get_i64("arch.channels");
    out->image.height = c.get_i64("arch.height");
    out->image.width = c.get_i64("arch.image_width");
    out->image.classes = small_int(c, "arch.classes");
    out->image.seed = c.get_i64("arch.seed");
  } else {
    fail("could not read the checkpoint's architecture because its kind '", kind, "' is unknown");
  }
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
  // The recipe's sizes come from the file: the constructors validate them, and the
  // tensor sizes are checked against the records before anything is copied.
  Model* model = nullptr;
  switch (spec.kind) {
    case MODEL_MLP: model = model_create_mlp(&spec.mlp); break;
    case MODEL_RESNET: model = model_create_resnet(&spec.resnet); break;
    case MODEL_VGG16: model = model_create_vgg16(&spec.image); break;
    case MODEL_LENET5: model = model_create_lenet5(&spec.image); break;
    default: fail("could not restore the model because its kind ", spec.kind, " is unknown");
  }
  std::unique_ptr<Model, void (*)(Model*)> guard(model, model_destroy);
  io::restore_network_state(*model->net, f->container);
  return guard.release();
}

Trainer* checkpoint_restore_trainer(const ContainerFile* f, Model* model) {
  require(model != nullptr, "the model handle is null (closed or never created)");
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
