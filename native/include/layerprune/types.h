// layerprune plain types: the enums, constants and POD structs that the core's lower layers
// (model/, method/, io/, export/) share with the C API. A leaf: it includes nothing of the library,
// and nothing below the C API includes layerprune/api*.h (bin/check-layering). api.h includes it,
// so a C API user sees these names unchanged; the JavaCPP preset parses it into the same
// io.layerprune.bindings.LayerpruneNative class.
#pragma once
#include <cstdint>

namespace layerprune {

enum EstimatorKind {
  ESTIMATOR_TWO_POINT = 0,       // unbiased, default (ALGORITHM.md section 3.1)
  ESTIMATOR_SCORE_FUNCTION = 1,  // unbiased, high variance
  ESTIMATOR_LINEARIZED = 2,      // biased first-order heuristic
  ESTIMATOR_LINEARIZED_SKIP = 3, // biased, cheapest
  ESTIMATOR_BUDGETED = 4         // default: unbiased two-point re-runs within a FLOP budget, drawn by cost,
                                 // with the linearized term as control variate (docs/ALGORITHM.md)
};

// How theta follows its gradient estimates (docs/ALGORITHM.md "Pruning rule").
enum PruningRule {
  PRUNING_RULE_EVIDENCE = 0,  // default: theta moves by the part of (running mean + prior) beyond z standard
                              // errors, in units of the section's threshold tau_l
  PRUNING_RULE_PLAIN = 1      // ALGORITHM.md 4 as written: theta <- clip(theta - eta_theta * estimate)
};

// How the prior's strength is shared out among sections (docs/ALGORITHM.md "Prior").
enum PriorScaling {
  PRIOR_PER_FLOP = 0,   // default: section l's prior strength is lambda n_max F_l / (n_l F_max), so its
                        // threshold tau_l is proportional to its forward FLOPs F_l (every section of a
                        // ResNet, whose sections cost alike, must buy the same loss reduction)
  PRIOR_PER_WEIGHT = 1  // ALGORITHM.md 2 as written: lambda for every section, tau_l proportional to n_l
};

// Which ||W_l||^2 the prior reads (docs/ALGORITHM.md "Prior").
enum PriorNorm {
  PRIOR_NORM_CURRENT = 0,  // ALGORITHM.md 2 as written: the weights' current norm; the prior also pulls W_l
  PRIOR_NORM_INITIAL = 1   // the initialisation's expected norm, a constant: in a body with batch norm
                           // ||W_l|| can shrink at no cost to the loss and with it tau_l, so the prior
                           // acts on theta only and W_l trains as in a --no-gates run (no pull, no decay)
};

// The families whose training defaults the core knows (train_config_defaults_for_family); every
// architecture description names one ("family"), presets their own.
enum ArchitectureFamily {
  FAMILY_MLP = 0,     // residual MLP
  FAMILY_RESNET = 1,  // convolutional residual networks (basic W-B-a-W or bottleneck sections)
  FAMILY_VGG = 2,     // plain conv-BN-ReLU sections
  FAMILY_LENET = 3    // LeNet-5: small convs, gated fully connected sections
};

enum ScheduleKind { SCHEDULE_CONSTANT = 0, SCHEDULE_STEP = 1, SCHEDULE_COSINE = 2 };

// Where a model's tensors live and its ops run (the spec structs' `device` field).
enum DeviceKind {
  DEVICE_CPU = 0,  // oneDNN (default)
  DEVICE_CUDA = 1  // one NVIDIA GPU; needs the linux-x86_64-gpu build and a GPU with its driver
};

// Precision of the matrix products (dense layers and convolutions, forward and backward): FP32, or
// bf16 inputs with f32 accumulation and f32 outputs (mixed precision; docs/PRECISION.md). Weights,
// gradients, momenta, the loss, softmax, batch-norm statistics, prior and theta stay f32 either way.
enum Precision {
  PRECISION_FP32 = 0,  // default
  PRECISION_BF16 = 1   // CPU: needs AVX512-BF16 or AMX-BF16 (an Error names what the CPU lacks)
};

enum EvalMode {
  EVAL_EXPECTED = 0,      // xi_l replaced by theta_l
  EVAL_DETERMINISTIC = 1  // xi_l = [theta_l >= 0.5]
};

// Every hyper-parameter of ALGORITHM.md section 6. train_config_defaults fills it.
struct TrainConfig {
  double lambda;              // prior strength (>= 0)
  double s2;                  // per-weight variance floor (> 0)
  double theta0;              // initial theta in [0, 1]
  double eta_theta;           // theta learning rate (constant)
  int32_t patience;           // steps at theta == 0 before a section is pruned
  double theta_min;           // prune below this theta (0 = off)
  double eta_w;               // weight learning rate (peak)
  double momentum;            // SGD momentum on weights
  double clip_norm;           // global grad-norm clip (0 = off)
  double weight_decay;        // on stem, head and skip projections only
  int32_t schedule;           // ScheduleKind for eta_w
  int64_t total_steps;        // schedule horizon (cosine, step)
  int64_t step_every;         // SCHEDULE_STEP: decay period in steps
  double step_gamma;          // SCHEDULE_STEP: decay factor
  int32_t estimator;          // EstimatorKind
  double estimator_fraction;  // two-point: fraction of live sections re-run
  double estimator_budget;    // budgeted: expected FLOPs of the re-runs / the live network's training step, (0, 1]
  int32_t pruning_rule;       // PruningRule
  double evidence_horizon;    // evidence rule: steps the running mean of each estimate weighs (>= 1)
  double evidence_z;          // evidence rule: standard errors the running mean must clear (>= 0)
  int32_t prior_scaling;      // PriorScaling
  int32_t prior_norm;         // PriorNorm
  int64_t theta_freeze_steps; // theta held (no estimator, no prior on theta, no pruning) for this many steps
  int32_t theta_schedule;     // SCHEDULE_CONSTANT or SCHEDULE_STEP for eta_theta
  int64_t theta_step_every;   // theta SCHEDULE_STEP: decay period in steps
  double theta_step_gamma;    // theta SCHEDULE_STEP: decay factor
  int32_t no_gates;           // 1: plain residual network (theta fixed at 1, no prior, no pruning)
  int32_t augment_pad;        // image models: random crop after zero-padding by this many pixels (0 = off)
  int32_t augment_flip;       // image models: 1 = random horizontal flip
  int64_t train_size;         // N in the objective (0 = size of the training data set)
  int32_t batch_size;         // training mini-batch
  int64_t seed;               // gates, estimator subsets and shuffling
  int32_t precision;          // Precision of the matrix products while training (and evaluating in the session)
};

struct StepStats {
  int64_t step;                // global step index after this step (1-based)
  double loss;                 // mean batch loss of the sampled network
  double accuracy;             // batch accuracy of the sampled network
  double lr;                   // eta_w used
  double grad_norm;            // global weight-gradient norm before clipping
  int32_t live_sections;       // unpruned sections after this step
  int32_t pruned_this_step;    // sections removed by this step
  int32_t active_sections;     // sections that ran (xi = 1) in this step
  double step_flops;           // FLOPs of this step, estimator passes included
  double step_flops_unpruned;  // same step, every section on, no estimator passes
  double estimator_flops;      // FLOPs of the estimator's extra passes in this step (part of step_flops)
};

// The epoch loop's account of the current epoch of a run (method/epoch_loop.h; the C API's
// trainer_epoch_* calls): what the steps run so far in it add up to.
struct EpochStats {
  int32_t epoch;               // 1-based index of the current epoch in the run (the epochs done before the first)
  int32_t epochs;              // epochs of the run
  int64_t steps;               // steps (full batches) of the epoch
  int64_t steps_done;          // of them, run so far
  int64_t last_step;           // global step index after the last of them (StepStats.step; 0 before the first)
  double loss;                 // mean batch loss of those steps (NaN before the first)
  double accuracy;             // mean batch accuracy of those steps (NaN before the first)
  double flops;                // FLOPs of those steps, estimator passes included
  double flops_unpruned;       // the same steps with every section on and no estimator passes
  double estimator_flops;      // FLOPs of the estimator's extra passes in those steps
  int32_t pruned;              // sections removed by those steps
  int32_t live_sections;       // unpruned sections after the last of them (-1 before the first)
  int32_t complete;            // 1 once every step of the epoch ran
  int32_t stopped;             // 1 once a stop request ended the run early: steps of this epoch or epochs left
};

struct EvalStats {
  double loss;
  double accuracy;
  int64_t samples;
};

}  // namespace layerprune
