// layerprune C API: the only surface the JavaCPP bindings see.
//
// Plain C++: opaque handles, POD structs, free functions. Every function either
// succeeds or throws layerprune::Error (a std::runtime_error) whose message says
// what could not be done and why; JavaCPP turns it into a Java RuntimeException
// carrying that message, which the Java API rethrows as LayerpruneException.
#pragma once
#include <cstdint>

#include "layerprune/types.h"  // the plain types and constants (re-exported)

namespace layerprune {

struct Dataset;  // host copy of a labelled data set (normalised features)
struct Model;    // architecture, weights, theta, pruned set, workspace
struct Trainer;  // optimizer state, estimator, RNG and counters bound to one Model

struct MlpSpec {
  int64_t input_size;  // features per sample, e.g. 784
  int64_t width;       // stem and section width D
  int32_t sections;    // number of gated sections L (>= 0)
  int32_t classes;     // output classes (>= 2)
  int64_t seed;        // weight initialisation seed
  int32_t device;      // DeviceKind (0 = CPU)
};

// A CIFAR-style ResNet (depth 6n + 2: 20, 32, 56, 110) on NHWC images of
// channels x height x width: conv3x3-BN-ReLU stem, 16/32/64-channel stages of gated
// W-B-a-W sections, global average pool and dense head.
struct ResNetSpec {
  int32_t depth;
  int64_t channels;
  int64_t height;
  int64_t width;
  int32_t classes;
  int32_t post_activation;  // 1: h = ReLU after each section (classic ResNet)
  int64_t seed;
  int32_t device;  // DeviceKind (0 = CPU)
};

// VGG16 on NHWC images: 13 conv layers (stem, 3 ungated channel transitions, 9 gated
// conv-BN-ReLU sections with identity skips), 5 max pools, global average pool, dense head.
struct VggSpec {
  int64_t channels;
  int64_t height;
  int64_t width;
  int32_t classes;
  int64_t seed;
  int32_t device;  // DeviceKind (0 = CPU)
};

// Facts of an architecture description, from the core's cost model (model/cost.h).
struct ArchitectureSummary {
  int64_t input_size;        // features per sample (channels x height x width)
  int32_t image_input;       // 1: the input is an NHWC image of channels x height x width
  int64_t channels, height, width;
  int32_t sections;          // gated sections L
  int32_t classes;
  int32_t family;            // ArchitectureFamily
  int64_t stem_width;        // the stem's width (dense) or channels (conv)
  int64_t params;            // parameters with every section present
  double flops_per_sample;   // forward FLOPs per sample with every section on
};

// One gated section of an architecture description.
struct ArchitectureSection {
  int32_t kind;              // 0 dense, 1 basic, 2 bottleneck, 3 plain
  int64_t in_width;          // input features (dense) or channels (conv)
  int64_t out_width;         // output width or channels
  int32_t has_projection;    // 1 if the skip is a learned projection
  int64_t weights;           // n_l: matrix/filter entries of the body (biases, BN excluded)
  int64_t body_params;       // the body's parameters (biases and BN gamma, beta included)
  int64_t skip_params;       // the projection's parameters, or 0
  double body_flops;         // forward FLOPs per sample of the body
  double skip_flops;         // forward FLOPs per sample of the projection, or 0
};

struct SectionInfo {
  int32_t index;
  int64_t in_width;
  int64_t out_width;
  int64_t weights;         // n_l: matrix weights of the prunable part (biases excluded)
  int32_t has_projection;  // 1 if the skip is a learned projection
  double theta;
  int32_t pruned;
  int64_t pruned_at_step;  // -1 if not pruned
  double weight_norm2;     // ||W_l||^2 (0 once pruned)
};

// Library ---------------------------------------------------------------------
const char* version();
// Sets the thread count of every native thread pool once (0 = physical cores).
void set_num_threads(int32_t threads);
int32_t num_threads();
int32_t physical_cores();

// Data ------------------------------------------------------------------------
// Copies `count` rows of `dim` floats and their labels in [0, classes).
Dataset* dataset_create(const float* features, const int32_t* labels, int64_t count,
                        int64_t dim, int32_t classes);
void dataset_destroy(Dataset* dataset);
int64_t dataset_size(const Dataset* dataset);
int64_t dataset_dim(const Dataset* dataset);

// Architecture descriptions ------------------------------------------------------
// JSON, the same description as io.layerprune.Architecture (docs/ARCHITECTURE.md, "Architecture
// description"): input, stem, stages of gated sections, head. Every function validates and
// raises Error naming the offending field. The strings they return belong to the library and
// stay valid until the next architecture_* call on the same thread (copy them; JavaCPP does).
//
// A preset for the input shape: "mlp" (stem 256, 12 sections of 256, on channels x height x
// width features), "mlp:512-256-128" (stem 512, one dense section per width), "lenet5", "vgg16",
// "resnet20", "resnet32", "resnet56", "resnet110" (any 6n + 2: CIFAR layout), "resnet18",
// "resnet34", "resnet50" (ImageNet layout, bottleneck blocks for 50; 7x7 stride-2 stem and
// max pool from 64 pixels up). width_multiplier scales the widths (1 = the published sizes).
const char* architecture_preset(const char* name, int64_t channels, int64_t height, int64_t width, int32_t classes,
                                double width_multiplier);
// The canonical form of a description: every field explicit.
const char* architecture_normalize(const char* architecture_json);
// The description with every section's h set to ReLU (relu = 1) or the identity (relu = 0).
const char* architecture_with_post_activation(const char* architecture_json, int32_t relu);
// The description that model_create_mlp / _resnet / _vgg16 / _lenet5 build from a spec struct,
// validated (a ResNet depth that is not 6n + 2, a shape the preset cannot take: Error); the Java
// presets read their section counts, widths and family from it rather than knowing them.
const char* architecture_mlp(const MlpSpec* spec);
const char* architecture_resnet(const ResNetSpec* spec);
const char* architecture_vgg16(const VggSpec* spec);
const char* architecture_lenet5(const VggSpec* spec);
void architecture_summary(const char* architecture_json, ArchitectureSummary* out);
void architecture_section(const char* architecture_json, int32_t index, ArchitectureSection* out);

// Model -----------------------------------------------------------------------
// A network of any architecture description (weights initialised from `seed`) on `device`.
Model* model_create(const char* architecture_json, int64_t seed, int32_t device);
// The model's description, canonical JSON; owned by the model (valid while it lives).
const char* model_architecture(const Model* model);
// The presets of the spec structs (thin wrappers over the descriptions above).
Model* model_create_mlp(const MlpSpec* spec);
Model* model_create_resnet(const ResNetSpec* spec);
Model* model_create_vgg16(const VggSpec* spec);
// LeNet-5 (conv5x5 stem, pool, conv5x5, pool, flatten, gated 400->120 and 120->84, head),
// on the image shape of `spec` (VggSpec carries channels, height, width, classes, seed).
Model* model_create_lenet5(const VggSpec* spec);
void model_destroy(Model* model);
int32_t model_sections(const Model* model);
int64_t model_input_size(const Model* model);
int32_t model_classes(const Model* model);
void model_section_info(const Model* model, int32_t index, SectionInfo* out);
double model_theta(const Model* model, int32_t index);  // theta_l alone: no weight scan, cheap per step
void model_set_theta(Model* model, int32_t index, double theta);
int64_t model_params(const Model* model);  // parameters held now (pruned sections excluded)
double model_flops_per_sample(const Model* model, int32_t eval_mode);
void model_evaluate(Model* model, const Dataset* data, int32_t eval_mode, EvalStats* out);
// logits_out: count * classes floats.
void model_predict(Model* model, const float* features, int64_t count, int32_t eval_mode,
                   float* logits_out);
// Precision of the model's matrix products (Precision): predict, evaluate and training. A
// trainer sets it to its config's precision. Error where the device cannot run it (a CPU
// without AVX512-BF16 or AMX-BF16, the CUDA backend for bf16), the model unchanged.
void model_set_precision(Model* model, int32_t precision);
int32_t model_precision(const Model* model);
// Why this machine's CPU cannot run `precision` ("" when it can; fp32 always can).
const char* precision_unsupported_reason(int32_t precision);
// Prunes every section with theta < 0.5 and fixes the rest at xi = 1 (ALGORITHM.md 5).
void model_determinize(Model* model, int64_t step);
int64_t model_native_bytes(const Model* model);

// Training --------------------------------------------------------------------
void train_config_defaults(TrainConfig* out);
// The defaults of one architecture family (ArchitectureFamily): learning rate, weight decay,
// augmentation, prior strength and theta rate where they differ from the MLP's.
void train_config_defaults_for_family(int32_t family, TrainConfig* out);
// The first invalid field of a configuration, as "field_name must ..., got VALUE" with the
// field's name as in TrainConfig, or "" when every field is valid: the one validation, which
// trainer_create applies too (its Error: "invalid training configuration: " and this text).
// Java's TrainConfig.Builder.build() reports it with the field's Java name. The string belongs
// to the library and stays valid until the next call of this function on the same thread.
const char* train_config_problem(const TrainConfig* config);
// The family of a model (ArchitectureFamily), so its defaults can be looked up.
int32_t model_family(const Model* model);
// The prior strength for a target threshold tau (ALGORITHM.md section 2): lambda = 2 N tau / max_l n_l,
// N = n_train, n_l the matrix weights of section l (model_section_info's `weights`, pruned sections
// included); 0 for a model without weighted sections. tau >= 0 and n_train > 0, both finite.
double train_config_lambda_for_tau(const Model* model, double tau, double n_train);
// Distributed training (issue 16, docs/SCALING.md) ----------------------------------
// Opens this process's world once: mode "auto" (MPI when an MPI launcher such as `mpirun`
// started the process, else one process), "mpi" (an Error unless launched by one) or "off".
// plugin_path: the MPI plugin liblayerprune_mpi.so (null or "": the one beside liblayerprune).
// Returns the world size; later calls return the open world's (their mode is not re-read).
int32_t distributed_init(const char* mode, const char* plugin_path);
int32_t distributed_rank();  // 0 before distributed_init
int32_t distributed_size();  // 1 before distributed_init
// Whether an MPI launcher started this process (its environment variables).
int32_t distributed_launched();
// Before the trainer's first step: on = 1 trains this rank's share of every batch and averages
// over the world opened by distributed_init (batch_size must be a multiple of its size).
void trainer_set_distributed(Trainer* trainer, int32_t on);

Trainer* trainer_create(Model* model, const TrainConfig* config);
void trainer_destroy(Trainer* trainer);
// Shuffles the training set; returns the number of steps in the epoch (full batches).
int64_t trainer_begin_epoch(Trainer* trainer, const Dataset* train);
void trainer_step(Trainer* trainer, const Dataset* train, int64_t batch_index, StepStats* out);
// The epoch loop (method/epoch_loop.h), the one loop over a run's epochs and their batches that the
// Java Trainer and the native tools drive: trainer_epochs_start, then per epoch trainer_epoch_begin
// and trainer_epoch_run until it returns 0; EpochStats say what the epoch's steps add up to.
//
// The steps of an epoch of `samples` rows in batches of `batch_size` (full batches, at least one).
int64_t epoch_steps(int64_t samples, int32_t batch_size);
// A run of `epochs` (>= 0) epochs whose first `epochs_done` are done (a resumed run); clears a stop
// request. Until it is called the trainer's run has no epochs.
void trainer_epochs_start(Trainer* trainer, int32_t epochs, int32_t epochs_done);
// Begins the next epoch (reshuffles; trainer_begin_epoch) and returns 1; 0 when the run is over:
// every epoch done, or a stop requested (out->stopped then says whether epochs were left).
int32_t trainer_epoch_begin(Trainer* trainer, const Dataset* train, EpochStats* out);
// Runs up to max_steps steps of the current epoch and returns how many ran (0: the epoch is
// complete, or a stop was requested). steps_out (max_steps StepStats, or null) gets each step's
// numbers, out the epoch's so far.
int64_t trainer_epoch_run(Trainer* trainer, const Dataset* train, int64_t max_steps, StepStats* steps_out,
                          EpochStats* out);
// Asks the run to end before its next step (any thread; takes no lock, so it does not wait for
// a trainer_epoch_run in flight).
void trainer_epoch_stop(Trainer* trainer);
// tau_l of ALGORITHM.md section 2 for the section's current weights.
double trainer_tau(const Trainer* trainer, int32_t index);
double trainer_cumulative_flops(const Trainer* trainer);
double trainer_cumulative_flops_unpruned(const Trainer* trainer);
// FLOPs of the estimator's extra passes so far (part of trainer_cumulative_flops).
double trainer_cumulative_estimator_flops(const Trainer* trainer);
// The evidence behind section `index`'s theta: running mean of its data-term estimates and
// that mean's standard error (infinite before two estimates).
double trainer_evidence_mean(const Trainer* trainer, int32_t index);
double trainer_evidence_stderr(const Trainer* trainer, int32_t index);
int64_t trainer_steps_done(const Trainer* trainer);
// Determinizes the model at the current step (end of training).
void trainer_finish(Trainer* trainer);

// Diagnostics -------------------------------------------------------------------
// An estimator against the exact expectation over all 2^L gate patterns (L <= 16) on
// the first `rows` samples of `data`, at the model's current weights and theta.
// Per section (arrays of model_sections() doubles): exact[l] = E_{xi_-l}[L(xi_l=1) -
// L(xi_l=0)] (data part of dJ/dtheta), mean[l] and stddev[l] of the estimator's
// per-sample values over `samples` draws of xi, prior[l] = the prior part of dJ/dtheta
// for (lambda, s2, n_train). `fraction` is the two-point subset or the budgeted estimator's
// budget. cost[0] = mean FLOPs of the estimator's extra passes per draw as a fraction of
// one training step of the live network on those rows (for variance at equal cost).
// Returns E_xi[L]. Overwrites the model's workspace only.
double estimator_check(Model* model, const Dataset* data, int64_t rows, int32_t estimator,
                       double fraction, int64_t samples, int64_t seed, double lambda, double s2,
                       double n_train, double* exact, double* mean, double* stddev, double* prior,
                       double* cost);

}  // namespace layerprune
