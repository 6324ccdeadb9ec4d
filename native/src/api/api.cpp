// The C API: argument checks, handle bookkeeping and nothing else. The work is in
// model/ and method/.
#include "layerprune/api.h"
#include "api/handles.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

#include "backend/backend.h"
#include "core/communicator.h"
#include "core/error.h"
#include "core/threads.h"
#include "core/version.h"
#include "api/model_access.h"
#include "model/architecture_json.h"
#include "api/normalization.h"
#include "model/cost.h"
#include "model/dataset.h"
#include "model/evaluation.h"
#include "method/estimator_check.h"
#include "method/exact.h"
#include "method/prior.h"
#include "method/trainer.h"

namespace layerprune {

namespace {

template <typename T>
T* checked(T* handle, const char* what) {
  require(handle != nullptr, "the ", what, " handle is null (closed or never created)");
  return handle;
}
template <typename T>
const T* checked(const T* handle, const char* what) {
  require(handle != nullptr, "the ", what, " handle is null (closed or never created)");
  return handle;
}
void check_section(const Model* m, int32_t index) {
  require(index >= 0 && index < m->net->sections(), "section index ", index, " is outside [0, ",
          m->net->sections(), ")");
}

// The backend a spec's `device` asks for.
std::unique_ptr<Backend> make_backend(int32_t device) {
  if (device == DEVICE_CPU) return make_cpu_backend();
  if (device == DEVICE_CUDA) return make_cuda_backend();
  fail("could not build the model because device ", device, " is unknown (0 = CPU, 1 = CUDA)");
}

}  // namespace

// Out of host memory while building or sizing something: say what, not just bad_alloc.
template <typename F>
auto out_of_memory_as_error(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    fail("could not ", what, " because the machine ran out of memory");
  }
}

const char* version() { return kLibraryVersion; }
void set_num_threads(int32_t threads) { configure_threads(threads); }
int32_t num_threads() { return configured_threads(); }
int32_t physical_cores() { return physical_core_count(); }

Dataset* dataset_create(const float* features, const int32_t* labels, int64_t count, int64_t dim,
                        int32_t classes) {
  return make_dataset(features, labels, count, dim, classes);
}
void dataset_destroy(Dataset* dataset) { delete dataset; }
int64_t dataset_size(const Dataset* d) { return checked(d, "data set")->count; }
int64_t dataset_dim(const Dataset* d) { return checked(d, "data set")->dim; }

static_assert(int32_t(Family::kMlp) == FAMILY_MLP && int32_t(Family::kResNet) == FAMILY_RESNET &&
                  int32_t(Family::kVgg) == FAMILY_VGG && int32_t(Family::kLeNet) == FAMILY_LENET,
              "model/architecture.h's Family follows ArchitectureFamily");

namespace {

// The strings architecture_* return (valid until the next call on the thread).
const char* returned(std::string s) {
  static thread_local std::string result;
  result = std::move(s);
  return result.c_str();
}

Architecture parsed(const char* json) {
  require(json != nullptr, "could not read the architecture because the JSON string is null");
  return architecture_from_json(json);
}

}  // namespace

Architecture recipe_architecture(const ModelRecipe& r) {
  switch (r.kind) {
    case ModelRecipe::kMlp:
      require(r.mlp.sections >= 0, "could not build the model because sections must be >= 0, got ", r.mlp.sections);
      require(r.mlp.width > 0, "could not build the model because width must be > 0, got ", r.mlp.width);
      require(r.mlp.sections <= (1 << 16), "could not build the model because its sizes are unreasonably large (",
              r.mlp.sections, " sections)");
      return mlp_architecture(r.mlp.input_size, r.mlp.width, std::vector<int64_t>(size_t(r.mlp.sections), r.mlp.width),
                              r.mlp.classes);
    case ModelRecipe::kResNet: {
      Architecture a =
          resnet_cifar(r.resnet.depth, {r.resnet.channels, r.resnet.height, r.resnet.width}, r.resnet.classes);
      set_post_activation(a, r.resnet.post_activation != 0);
      return a;
    }
    case ModelRecipe::kVgg16:
      return vgg16({r.image.channels, r.image.height, r.image.width}, r.image.classes);
    case ModelRecipe::kLeNet5:
      return lenet5({r.image.channels, r.image.height, r.image.width}, r.image.classes);
    case ModelRecipe::kNone:
      break;
  }
  fail("could not build the model because its recipe is unknown");
}

Model* make_model(const Architecture& arch, int64_t seed, int32_t device, const ModelRecipe& recipe) {
  return out_of_memory_as_error("build the network", [&] {
    auto model = std::make_unique<Model>();
    model->net = std::make_unique<Network>(make_backend(device), arch, static_cast<uint64_t>(seed));
    model->recipe = recipe;
    model->seed = seed;
    model->architecture = to_json(arch);
    return model.release();
  });
}

const char* architecture_preset(const char* name, int64_t channels, int64_t height, int64_t width, int32_t classes,
                                double width_multiplier) {
  require(name != nullptr, "could not build a preset because its name is null");
  Architecture a = preset_architecture(name, {channels, height, width}, classes, width_multiplier);
  a.validate();
  return returned(to_json(a));
}

const char* architecture_normalize(const char* json) { return returned(to_json(parsed(json))); }

const char* architecture_with_post_activation(const char* json, int32_t relu) {
  Architecture a = parsed(json);
  set_post_activation(a, relu != 0);
  a.validate();
  return returned(to_json(a));
}

void architecture_summary(const char* json, ArchitectureSummary* out) {
  checked(out, "architecture summary");
  const Architecture a = parsed(json);
  const Plan plan = plan_of(a);
  out->input_size = plan.input.size();
  out->image_input = a.image ? 1 : 0;
  out->channels = plan.input.c, out->height = plan.input.h, out->width = plan.input.w;
  out->sections = plan.sections();
  out->classes = a.classes;
  out->family = static_cast<int32_t>(a.family);
  out->stem_width = plan.ops.front().out.c;
  out->params = cost::params(plan, std::vector<bool>(size_t(plan.sections()), true));
  out->flops_per_sample = cost::forward_flops(plan, std::vector<float>(size_t(plan.sections()), 1.f));
}

void architecture_section(const char* json, int32_t index, ArchitectureSection* out) {
  checked(out, "architecture section");
  const Plan plan = plan_of(parsed(json));
  require(index >= 0 && index < plan.sections(), "section index ", index, " is outside [0, ", plan.sections(), ")");
  const PlanOp& s = plan.section(index);
  out->kind = static_cast<int32_t>(s.section);
  out->in_width = s.section == SectionKind::kDense ? s.in.size() : s.in.c;
  out->out_width = s.out.c;
  out->has_projection = s.projection ? 1 : 0;
  out->weights = cost::section_weights(s);
  out->body_params = cost::section_body_params(s);
  out->skip_params = cost::section_skip_params(s);
  out->body_flops = cost::section_body_flops(s);
  out->skip_flops = cost::section_skip_flops(s);
}

Model* model_create(const char* json, int64_t seed, int32_t device) {
  return make_model(parsed(json), seed, device, ModelRecipe{});
}

const char* model_architecture(const Model* m) { return checked(m, "model")->architecture.c_str(); }

namespace {

// The recipe of a spec struct: what model_create_* build and architecture_* describe.
ModelRecipe mlp_recipe(const MlpSpec* spec) {
  ModelRecipe r;
  r.kind = ModelRecipe::kMlp;
  r.mlp = *checked(spec, "model spec");
  return r;
}
ModelRecipe resnet_recipe(const ResNetSpec* spec) {
  ModelRecipe r;
  r.kind = ModelRecipe::kResNet;
  r.resnet = *checked(spec, "resnet spec");
  return r;
}
ModelRecipe image_recipe(ModelRecipe::Kind kind, const VggSpec* spec) {
  ModelRecipe r;
  r.kind = kind;
  r.image = *checked(spec, kind == ModelRecipe::kVgg16 ? "vgg spec" : "lenet spec");
  return r;
}

Model* recipe_model(const ModelRecipe& r, int64_t seed, int32_t device) {
  return make_model(recipe_architecture(r), seed, device, r);
}

const char* recipe_json(const ModelRecipe& r) {
  const Architecture a = recipe_architecture(r);
  a.validate();
  return returned(to_json(a));
}

}  // namespace

const char* architecture_mlp(const MlpSpec* spec) { return recipe_json(mlp_recipe(spec)); }
const char* architecture_resnet(const ResNetSpec* spec) { return recipe_json(resnet_recipe(spec)); }
const char* architecture_vgg16(const VggSpec* spec) { return recipe_json(image_recipe(ModelRecipe::kVgg16, spec)); }
const char* architecture_lenet5(const VggSpec* spec) {
  return recipe_json(image_recipe(ModelRecipe::kLeNet5, spec));
}

// The recipe first: it checks the spec pointer before its seed and device are read.
Model* model_create_mlp(const MlpSpec* spec) {
  const ModelRecipe r = mlp_recipe(spec);
  return recipe_model(r, spec->seed, spec->device);
}
Model* model_create_resnet(const ResNetSpec* spec) {
  const ModelRecipe r = resnet_recipe(spec);
  return recipe_model(r, spec->seed, spec->device);
}
Model* model_create_vgg16(const VggSpec* spec) {
  const ModelRecipe r = image_recipe(ModelRecipe::kVgg16, spec);
  return recipe_model(r, spec->seed, spec->device);
}
Model* model_create_lenet5(const VggSpec* spec) {
  const ModelRecipe r = image_recipe(ModelRecipe::kLeNet5, spec);
  return recipe_model(r, spec->seed, spec->device);
}

Network& network_of(Model* m) { return *checked(m, "model")->net; }

void model_destroy(Model* model) {
  if (!model) return;
  {
    const auto held = hold(model);
    if (model->trainer) model->trainer->model = nullptr;
  }
  delete model;
}
int32_t model_sections(const Model* m) { return checked(m, "model")->net->sections(); }
int64_t model_input_size(const Model* m) { return checked(m, "model")->net->input_size(); }
int32_t model_classes(const Model* m) { return checked(m, "model")->net->classes(); }

void model_section_info(const Model* m, int32_t index, SectionInfo* out) {
  const auto held = hold(checked(m, "model"));
  checked(out, "section info");
  check_section(m, index);
  GatedNetwork& net = *m->net;
  const GateState& g = net.gate(index);
  const SectionShape shape = net.section_shape(index);
  out->index = index;
  out->in_width = shape.in;
  out->out_width = shape.out;
  out->weights = net.section_weights(index);
  out->has_projection = shape.has_projection ? 1 : 0;
  out->theta = g.theta;
  out->pruned = g.pruned ? 1 : 0;
  out->pruned_at_step = g.pruned_at_step;
  out->weight_norm2 = net.section_weight_norm2(index);
}

double model_theta(const Model* m, int32_t index) {
  const auto held = hold(checked(m, "model"));
  check_section(m, index);
  return m->net->gate(index).theta;
}

void model_set_theta(Model* m, int32_t index, double theta) {
  const auto held = hold(checked(m, "model"));
  check_section(m, index);
  require(std::isfinite(theta) && theta >= 0.0 && theta <= 1.0, "theta must be in [0, 1], got ", theta);
  GateState& s = m->net->gate(index);
  require(!s.pruned, "could not set theta of section ", index, " because it is pruned");
  s.theta = theta;
}

int64_t model_params(const Model* m) {
  const auto held = hold(checked(m, "model"));
  return m->net->param_count();
}

void model_set_precision(Model* m, int32_t precision) {
  const auto held = hold(checked(m, "model"));
  precision_name(precision);  // validates
  require(m->trainer == nullptr || precision == m->net->backend().precision(),
          "could not change the model's precision because a trainer is open on it (set TrainConfig's precision)");
  m->net->backend().set_precision(Precision(precision));
}

int32_t model_precision(const Model* m) {
  const auto held = hold(checked(m, "model"));
  return m->net->backend().precision();
}

const char* precision_unsupported_reason(int32_t precision) {
  precision_name(precision);  // validates
  return precision == PRECISION_BF16 ? cpu_bf16_unsupported_reason() : "";
}

double model_flops_per_sample(const Model* m, int32_t eval_mode) {
  const auto held = hold(checked(m, "model"));
  require(eval_mode == EVAL_EXPECTED || eval_mode == EVAL_DETERMINISTIC, "evaluation mode ",
          eval_mode, " is unknown");
  std::vector<float> gates;
  m->net->eval_gates(eval_mode, gates);
  return m->net->forward_flops(gates);
}

void model_evaluate(Model* m, const Dataset* data, int32_t eval_mode, EvalStats* out) {
  const auto held = hold(checked(m, "model"));
  checked(out, "eval stats");
  *out = evaluate(*m->net, *checked(data, "data set"), eval_mode);
}

void model_predict(Model* m, const float* features, int64_t count, int32_t eval_mode, float* logits) {
  Model* model = checked(m, "model");
  const auto held = hold(model);
  std::vector<float> scratch;  // the raw features normalised like the training data (api_data.h)
  predict(*model->net, normalized_features(model->normalizer, features, count, model->net->input_size(), scratch),
          count, eval_mode, logits);
}

void model_determinize(Model* m, int64_t step) {
  const auto held = hold(checked(m, "model"));
  m->net->determinize(step);
}
int64_t model_native_bytes(const Model* m) {
  const auto held = hold(checked(m, "model"));
  return m->net->native_bytes();
}

// The residual MLP family's defaults (the library's default model), the prior's reference N included.
void train_config_defaults(TrainConfig* out) { *checked(out, "train config") = default_train_config(FAMILY_MLP); }
void train_config_defaults_for_family(int32_t family, TrainConfig* out) {
  *checked(out, "train config") = default_train_config(family);
}
int32_t model_family(const Model* m) { return static_cast<int32_t>(checked(m, "model")->net->architecture().family); }
const char* train_config_problem(const TrainConfig* config) {
  static thread_local std::string problem;
  problem = config_problem(*checked(config, "train config"));
  return problem.c_str();
}
double train_config_lambda_for_tau(const Model* m, double tau, double n_train) {
  const auto held = hold(checked(m, "model"));
  require(std::isfinite(tau) && tau >= 0.0, "could not compute lambda from tau because tau must be >= 0, got ", tau);
  require(std::isfinite(n_train) && n_train > 0.0,
          "could not compute lambda from tau because the training-set size must be > 0, got ", n_train);
  int64_t max_weights = 0;
  for (int32_t l = 0; l < m->net->sections(); ++l) max_weights = std::max(max_weights, m->net->section_weights(l));
  return prior::lambda_for_tau(tau, n_train, max_weights);
}

Trainer* trainer_create(Model* m, const TrainConfig* config) {
  const auto held = hold(checked(m, "model"));
  checked(config, "train config");
  require(m->trainer == nullptr, "could not create a trainer because the model already has one; "
          "close it first");
  auto trainer = std::make_unique<Trainer>();
  trainer->model = m;
  trainer->session = std::make_unique<TrainingSession>(*m->net, *config);
  trainer->loop = std::make_unique<EpochLoop>(*trainer->session);
  m->trainer = trainer.get();
  return trainer.release();
}
void trainer_destroy(Trainer* t) {
  if (t && t->model) {
    const auto held = hold(t->model);
    t->model->trainer = nullptr;
  }
  delete t;
}

namespace {

// A trainer's session, with its model's lock held for the call (a step changes the model).
struct HeldSession {
  std::unique_lock<std::recursive_mutex> lock;
  TrainingSession& session;
};

HeldSession session(const Trainer* t) {
  checked(t, "trainer");
  require(t->model != nullptr, "the trainer's model was closed; the trainer cannot be used");
  return {hold(t->model), *t->session};
}

}  // namespace

namespace {
std::mutex g_world_mutex;
std::unique_ptr<Communicator> g_world;  // opened once, lives until exit (MPI is finalised then)
}  // namespace

int32_t distributed_init(const char* mode, const char* plugin_path) {
  const std::lock_guard<std::mutex> lock(g_world_mutex);
  if (!g_world) g_world = open_world_communicator(mode ? mode : "auto", 0, plugin_path ? plugin_path : "");
  return g_world->size();
}
int32_t distributed_rank() {
  const std::lock_guard<std::mutex> lock(g_world_mutex);
  return g_world ? g_world->rank() : 0;
}
int32_t distributed_size() {
  const std::lock_guard<std::mutex> lock(g_world_mutex);
  return g_world ? g_world->size() : 1;
}
int32_t distributed_launched() { return launched_by_mpi() ? 1 : 0; }
void trainer_set_distributed(Trainer* t, int32_t on) {
  HeldSession s = session(t);
  Communicator* world = nullptr;
  if (on) {
    const std::lock_guard<std::mutex> lock(g_world_mutex);
    require(g_world != nullptr, "could not make the trainer distributed because distributed_init was not called");
    world = g_world.get();
  }
  s.session.set_communicator(world);
}

int64_t trainer_begin_epoch(Trainer* t, const Dataset* train) {
  return session(t).session.begin_epoch(*checked(train, "data set"));
}
void trainer_step(Trainer* t, const Dataset* train, int64_t batch_index, StepStats* out) {
  HeldSession s = session(t);
  *checked(out, "step stats") = s.session.step(*checked(train, "data set"), batch_index);
}
int64_t epoch_steps(int64_t samples, int32_t batch_size) { return steps_per_epoch(samples, batch_size); }
void trainer_epochs_start(Trainer* t, int32_t epochs, int32_t epochs_done) {
  const HeldSession held = session(t);
  t->loop->start(epochs, epochs_done);
}
int32_t trainer_epoch_begin(Trainer* t, const Dataset* train, EpochStats* out) {
  const HeldSession held = session(t);
  checked(out, "epoch stats");
  const bool began = t->loop->begin_epoch(*checked(train, "data set"));
  *out = t->loop->stats();
  return began ? 1 : 0;
}
int64_t trainer_epoch_run(Trainer* t, const Dataset* train, int64_t max_steps, StepStats* steps_out,
                          EpochStats* out) {
  const HeldSession held = session(t);
  checked(out, "epoch stats");
  const int64_t n = t->loop->run(*checked(train, "data set"), max_steps, steps_out);
  *out = t->loop->stats();
  return n;
}
void trainer_epoch_stop(Trainer* t) { checked(t, "trainer")->loop->request_stop(); }
double trainer_tau(const Trainer* t, int32_t index) { return session(t).session.tau(index); }
double trainer_cumulative_flops(const Trainer* t) { return session(t).session.cumulative_flops(); }
double trainer_cumulative_flops_unpruned(const Trainer* t) {
  return session(t).session.cumulative_flops_unpruned();
}
double trainer_cumulative_estimator_flops(const Trainer* t) {
  return session(t).session.cumulative_estimator_flops();
}
double trainer_evidence_mean(const Trainer* t, int32_t index) { return session(t).session.evidence_mean(index); }
double trainer_evidence_stderr(const Trainer* t, int32_t index) {
  return session(t).session.evidence_stderr(index);
}
int64_t trainer_steps_done(const Trainer* t) { return session(t).session.steps_done(); }
void trainer_finish(Trainer* t) { session(t).session.finish(); }

double estimator_check(Model* m, const Dataset* data, int64_t rows, int32_t estimator, double fraction,
                       int64_t samples, int64_t seed, double lambda, double s2, double n_train,
                       double* exact, double* mean, double* stddev, double* prior, double* cost) {
  const auto held = hold(checked(m, "model"));
  checked(data, "data set");
  require(exact && mean && stddev && prior && cost, "estimator_check needs five output arrays");
  GatedNetwork& net = *m->net;
  require(data->dim == net.input_size(), "could not check the estimator because the data set has ",
          data->dim, " features per sample but the model expects ", net.input_size());
  require(rows >= 1 && rows <= data->count, "could not check the estimator because rows must be in [1, ",
          data->count, "], got ", rows);
  require(std::isfinite(lambda) && lambda >= 0 && std::isfinite(s2) && s2 > 0 && n_train > 0,
          "could not check the estimator because lambda, s2 or n_train is invalid");
  auto est = make_estimator(estimator, fraction, fraction, net.sections());
  net.ensure_capacity(rows);
  Backend& be = net.backend();
  be.to_device(net.input_buffer(), data->features.data(), sizeof(float) * rows * data->dim);
  be.to_device(net.label_buffer(), data->labels.data(), sizeof(int32_t) * rows);
  const ExactGradient ex = exact_theta_gradient(net, rows);
  const EstimatorStats st = sample_estimator(net, *est, rows, samples, static_cast<uint64_t>(seed));
  const prior::Terms terms{lambda, s2, n_train};
  std::vector<float> live(static_cast<size_t>(net.sections()));
  for (int32_t l = 0; l < net.sections(); ++l) live[l] = net.gate(l).pruned ? 0.f : 1.f;
  cost[0] = st.mean_flops / cost::training_step_flops(net.forward_flops(live), rows);
  for (int32_t l = 0; l < net.sections(); ++l) {
    exact[l] = ex.data_grad[l];
    mean[l] = st.mean[l];
    stddev[l] = st.stddev[l];
    const GateState& s = net.gate(l);
    prior[l] = s.pruned ? 0.0
                        : prior::theta_gradient(terms, net.section_weights(l), s.theta, net.section_weight_norm2(l));
  }
  return ex.expected_loss;
}

}  // namespace layerprune
