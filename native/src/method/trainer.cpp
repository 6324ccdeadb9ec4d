#include "method/trainer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/threads.h"
#include "method/epoch_loop.h"
#include "model/cost.h"

namespace layerprune {

// The estimator's side of the step's all-reduce (method/estimator.h StepReduction).
class TrainingSession::Reduction final : public StepReduction {
 public:
  explicit Reduction(TrainingSession& session) : session_(session) {}
  void mean(double* values, int32_t n, double* step_loss) override { session_.all_reduce_step(values, n, step_loss); }

 private:
  TrainingSession& session_;
};

TrainingSession::TrainingSession(GatedNetwork& model, const TrainConfig& config)
    : model_(model), config_(config), rng_(static_cast<uint64_t>(config.seed) ^ 0x5eedULL) {
  validate(config_);
  // The model's matrix products run in the run's precision from here on (training, the
  // session's evaluations, and the model's later use until it is set again); Error where the
  // backend cannot (a CPU without bf16 instructions), before anything has changed.
  model_.backend().set_precision(Precision(config_.precision));
  const int32_t L = model_.sections();
  if (!config_.no_gates) {
    estimator_ = make_estimator(config_.estimator, config_.estimator_fraction, config_.estimator_budget, L);
    evidence_ = std::make_unique<ThetaEvidence>(L, config_.evidence_horizon, config_.evidence_z);
    ledger_ = config_.pruning_rule == PRUNING_RULE_EVIDENCE && config_.estimator == ESTIMATOR_BUDGETED;
    if (ledger_) rest_theta_ = 1.0 - config_.estimator_budget;
  }
  schedule_.kind = config_.schedule;
  schedule_.base = config_.eta_w;
  schedule_.total_steps = config_.total_steps;
  schedule_.step_every = config_.step_every;
  schedule_.step_gamma = config_.step_gamma;
  if (config_.schedule == SCHEDULE_COSINE && config_.total_steps == 0) schedule_.kind = SCHEDULE_CONSTANT;
  theta_schedule_.kind = config_.theta_schedule;
  theta_schedule_.base = config_.eta_theta;
  theta_schedule_.step_every = config_.theta_step_every;
  theta_schedule_.step_gamma = config_.theta_step_gamma;
  for (int32_t l = 0; l < L; ++l)
    if (!model_.gate(l).pruned) model_.gate(l).theta = config_.no_gates ? 1.0 : config_.theta0;
  gates_.assign(L, 0.f);
  all_on_.assign(L, 1.f);
  theta_grad_.assign(L, 0.0);
  prior_grad_.assign(L, 0.0);
  prior_scale_ = prior_scales(model_, config_.prior_scaling);
  // Read once: a network without an initialisation record fails here, not at the first step.
  if (config_.prior_norm == PRIOR_NORM_INITIAL)
    for (int32_t l = 0; l < L; ++l) initial_norm2_.push_back(model_.section_initial_norm2(l));
  theta_step_.assign(L, 0.0);
  priority_.assign(L, 1.0);
  norm2_.assign(L, 0.0);
  prior_pull_.assign(L, 0.0);
  tau_.assign(L, -1.0);
  directional_.assign(L, 0.0);
  model_.ensure_capacity(config_.batch_size);
  AugmentSpec augment;
  if (config_.augment_pad > 0 || config_.augment_flip) {
    require(model_.image_shape(&augment.channels, &augment.height, &augment.width),
            "invalid training configuration: augmentation (crop, flip) needs an image model, not a dense one");
    augment.on = true;
    augment.pad = config_.augment_pad;
    augment.flip = config_.augment_flip != 0;
    augment.seed = config_.seed;
  }
  prefetcher_ = std::make_unique<BatchPrefetcher>(config_.batch_size, model_.input_size(), augment);
  n_train_ = double(config_.train_size);
}

TrainingSession::~TrainingSession() = default;

// Per-FLOP scaling: lambda_l = lambda n_max F_l / (n_l F_max), so tau_l ~ lambda n_max F_l / 2N:
// the threshold of the section with the most FLOPs is what the per-weight prior gives the
// section with the most weights, and the others' scale with their compute.
std::vector<double> prior_scales(const GatedNetwork& model, int32_t scaling) {
  const int32_t L = model.sections();
  std::vector<double> scale(static_cast<size_t>(L), 1.0);
  if (scaling == PRIOR_PER_WEIGHT || L == 0) return scale;
  std::vector<float> none(static_cast<size_t>(L), 0.f), one = none;
  const double base = model.forward_flops(none);
  std::vector<double> flops(static_cast<size_t>(L));
  double f_max = 0.0;
  int64_t n_max = 0;
  for (int32_t l = 0; l < L; ++l) {
    one[l] = 1.f;
    flops[l] = model.forward_flops(one) - base;  // the body of section l alone
    one[l] = 0.f;
    f_max = std::max(f_max, flops[l]);
    n_max = std::max(n_max, model.section_weights(l));
  }
  for (int32_t l = 0; l < L; ++l)
    if (model.section_weights(l) > 0 && f_max > 0.0)
      scale[l] = double(n_max) * flops[l] / (double(model.section_weights(l)) * f_max);
  return scale;
}

prior::Terms TrainingSession::prior_terms(const Dataset* train) const {
  const double n = n_train_ > 0 ? n_train_ : (train ? double(train->count) : 1.0);
  return {config_.lambda, config_.s2, n};
}

int64_t TrainingSession::begin_epoch(const Dataset& train) {
  require(train.dim == model_.input_size(), "could not train because the data set has ",
          train.dim, " features per sample but the model expects ", model_.input_size());
  require(train.classes <= model_.classes(), "could not train because the data set has ",
          train.classes, " classes but the model has ", model_.classes(), " outputs");
  if (n_train_ == 0) n_train_ = double(train.count);
  prefetcher_->invalidate();  // a batch of the old permutation is of no use
  ++epoch_;
  if (int64_t(order_.size()) != train.count) {
    order_.resize(static_cast<size_t>(train.count));
    for (int64_t i = 0; i < train.count; ++i) order_[i] = i;
  }
  for (int64_t i = train.count - 1; i > 0; --i)
    std::swap(order_[i], order_[rng_.below(static_cast<uint64_t>(i + 1))]);
  return steps_per_epoch(train.count, config_.batch_size);
}

BatchRequest TrainingSession::batch_request(const Dataset& train, int64_t batch_index, int64_t rows,
                                            int64_t global_step) const {
  // Data-parallel: this rank's shard of the global batch (rows is the shard's size).
  BatchRequest r;
  r.data = &train;
  r.order = order_.data();
  r.epoch = epoch_;
  r.batch = batch_index;
  r.batch_size = config_.batch_size;
  r.rows = rows;
  r.global_step = global_step;
  r.offset = comm_ ? int64_t(comm_->rank()) * rows : 0;
  return r;
}

// Batch b comes from the loader thread if it prepared it (for this data set, epoch and
// step), else it is gathered here; either way the same bytes (batch_prefetcher.h).
// Augmented runs: since the prefetcher, crops and flips are drawn from a stream per
// batch seeded by (seed, step index) instead of the session's RNG, so they differ from
// runs made before it (dense runs, which draw nothing here, are unchanged).
void TrainingSession::load_batch(const Dataset& train, int64_t batch_index, int64_t rows) {
  const HostBatch& batch = prefetcher_->acquire(batch_request(train, batch_index, rows, step_));
  Backend& be = model_.backend();
  be.to_device(model_.input_buffer(), batch.x.data(), sizeof(float) * rows * train.dim);
  be.to_device(model_.label_buffer(), batch.y.data(), sizeof(int32_t) * rows);
}

void TrainingSession::sample_gates() {
  for (int32_t l = 0; l < model_.sections(); ++l) {
    const GateState& s = model_.gate(l);
    gates_[l] = s.pruned ? 0.f : (config_.no_gates || rng_.bernoulli(s.theta) ? 1.f : 0.f);
  }
}

// The ||W_l||^2 the prior reads: the weights' (contract) or the initialisation's expected one,
// a constant that no rescaling of a batch-normalised body can shrink (PriorNorm).
double TrainingSession::prior_norm2(int32_t l) {
  return config_.prior_norm == PRIOR_NORM_INITIAL ? initial_norm2_[l] : model_.section_weight_norm2(l);
}

// The prior's part of dJ/dtheta_l and, in prior_pull_[l], its coefficient on W_l (dJ/dW_l gets
// prior_pull_[l] * W_l), which the optimizer applies (param_decay). With the initial norm the
// prior does not depend on W_l, so it does not pull it.
void TrainingSession::add_prior(const prior::Terms& terms) {
  for (int32_t l = 0; l < model_.sections(); ++l) {
    const GateState& s = model_.gate(l);
    prior_pull_[l] = 0.0;
    if (s.pruned) continue;
    const int64_t n = model_.section_weights(l);
    norm2_[l] = prior_norm2(l);
    const prior::Terms section_terms{terms.lambda * prior_scale_[l], terms.s2, terms.n_train};
    tau_[l] = prior::tau(section_terms, n, norm2_[l]);
    prior_grad_[l] = prior::theta_gradient(section_terms, n, s.theta, norm2_[l]);
    theta_grad_[l] += prior_grad_[l];
    if (config_.prior_norm == PRIOR_NORM_CURRENT)
      prior_pull_[l] = prior::weight_coefficient(section_terms, n, s.theta, norm2_[l]);
  }
}

// What the optimizer adds to a parameter's data gradient, times the parameter: weight decay on
// W_rest, the prior's pull on the W_l of a gated run, nothing on the rest.
float TrainingSession::param_decay(const ParamRef& p) const {
  if (p.decayed) return float(config_.weight_decay);
  if (p.prior_section >= 0 && !config_.no_gates) return float(prior_pull_[p.prior_section]);
  return 0.f;
}

// The clipping scale of the full gradient (data + decay + prior), computed without storing it:
// sgd_momentum adds the decay term again in its one pass over each tensor.
double TrainingSession::clip_scale(double* norm_out) {
  Backend& be = model_.backend();
  double sum = 0.0;
  for (const ParamRef& p : model_.params()) sum += be.decayed_sum_squares(p.g, p.w, param_decay(p), p.n);
  const double norm = std::sqrt(sum);
  *norm_out = norm;
  if (!std::isfinite(norm))
    fail("training diverged at step ", step_ + 1, ": the weight gradient is not finite; lower the "
         "learning rate (eta_w = ", config_.eta_w, ") or keep gradient clipping on");
  return config_.clip_norm > 0.0 && norm > config_.clip_norm ? config_.clip_norm / norm : 1.0;
}

// The theta step of each live section (docs/ALGORITHM.md "Pruning rule"). Evidence rule:
// the data-term estimate joins the section's running evidence, and theta moves by the part
// of (running mean + prior) that clears z standard errors, in units of the section's
// threshold tau_l, at most kMaxThetaStep per step. Plain rule: the estimate as it is.
void TrainingSession::compute_theta_steps(double eta_theta) {
  for (int32_t l = 0; l < model_.sections(); ++l) {
    theta_step_[l] = 0.0;
    if (model_.gate(l).pruned) continue;
    if (config_.pruning_rule == PRUNING_RULE_PLAIN) {
      theta_step_[l] = -eta_theta * theta_grad_[l];
      continue;
    }
    const double data = theta_grad_[l] - prior_grad_[l];
    // An estimate the estimator could not afford to measure (p_l = 0) is only a prediction
    // from earlier steps: it is not evidence. Theta still moves by what the evidence holds.
    if (estimator_->measured(l)) evidence_->observe(l, data, estimator_->sampling_variance(l, gates_[l] != 0.f));
    theta_step_[l] = -evidence_step(eta_theta, evidence_->supported(l, prior_grad_[l]), tau_[l],
                                    model_.gate(l).theta, rest_theta_);
    priority_[l] = evidence_->priority(l, prior_grad_[l]);
  }
}

int32_t TrainingSession::update_thetas() {
  int32_t pruned_now = 0;
  compute_theta_steps(theta_schedule_.at(step_ - 1));  // step_ was advanced already
  for (int32_t l = 0; l < model_.sections(); ++l) {
    GateState& s = model_.gate(l);
    if (s.pruned) continue;
    s.theta = std::clamp(s.theta + theta_step_[l], 0.0, 1.0);  // projection
    s.steps_at_zero = s.theta == 0.0 ? s.steps_at_zero + 1 : 0;
    const bool below_min = config_.theta_min > 0.0 && s.theta < config_.theta_min;
    if (s.steps_at_zero >= config_.patience || below_min) {
      model_.prune(l, step_);
      ++pruned_now;
    }
  }
  return pruned_now;
}

StepStats TrainingSession::step(const Dataset& train, int64_t batch_index) {
  apply_thread_config();
  require(int64_t(order_.size()) == train.count,
          "could not run a training step because begin_epoch was not called for this data set");
  const int64_t global_rows = std::min<int64_t>(config_.batch_size, train.count);
  require(batch_index >= 0 && (batch_index + 1) * global_rows <= train.count,
          "could not run a training step because batch ", batch_index, " is outside the epoch");
  const int32_t W = world();
  require(saved_world_ == 0 || saved_world_ == W, "could not continue the run because its checkpoint was written by a ", saved_world_,
          "-rank job and this job has ", W, " rank", W == 1 ? "" : "s", ": resume it with `mpirun -np ", saved_world_,
          "` (a data-parallel run's batches, shards and BN statistics depend on the number of ranks)");
  require(global_rows % W == 0, "could not run a training step because its batch of ", global_rows,
          " rows does not split evenly over ", W, " ranks; choose a batch size that is a multiple of the number of ranks");
  const int64_t rows = global_rows / W;  // this rank's shard (the whole batch in one process)
  load_batch(train, batch_index, rows);
  // Batch b+1 (if this epoch has it) is gathered while this step computes. The job
  // never outlives the call (waited for on every exit, exceptions included): once step
  // returns, the caller may free or change the data set.
  struct WaitOnExit {
    BatchPrefetcher& p;
    ~WaitOnExit() { p.wait(); }
  } wait_on_exit{*prefetcher_};
  if ((batch_index + 2) * global_rows <= train.count)
    prefetcher_->prefetch(batch_request(train, batch_index + 1, rows, step_ + 1));
  sample_gates();

  StepStats out{};
  int64_t correct = 0;
  model_.forward(rows, gates_, GatedNetwork::kTraining);
  double loss = model_.loss(rows, true, &correct);
  step_correct_ = correct;
  reduced_this_step_ = false;
  if (!std::isfinite(loss))
    fail("training diverged at step ", step_ + 1, ": the loss is ", loss, "; lower the learning rate (eta_w = ",
         config_.eta_w, ") or keep gradient clipping on");
  const bool theta_frozen = step_ < config_.theta_freeze_steps;
  const auto need = estimator_ && !theta_frozen ? estimator_->directional_need() : GatedNetwork::kNoDirectional;
  double estimator_flops = model_.backward(rows, gates_, need, &directional_);

  std::fill(theta_grad_.begin(), theta_grad_.end(), 0.0);
  // FLOPs in the global batch's units (each rank ran a W-th of it: scaled back up, exactly
  // for the power-of-two W a run usually has); the estimator works on the shard, in its units.
  estimator_flops *= double(W);
  const double sampled_flops = cost::training_step_flops(model_.forward_flops(gates_), rows) * double(W);
  out.step_flops_unpruned = cost::training_step_flops(model_.forward_flops(all_on_), rows) * double(W);
  // While theta is frozen (ALGORITHM 7: "theta frozen for epoch 1") the gates are still
  // sampled and the prior still acts on W, but no estimator runs and theta stays put.
  if (!config_.no_gates) {
    if (!theta_frozen) {
      EstimatorContext ctx{model_, gates_, rows, loss, rng_, &directional_,
                           config_.pruning_rule == PRUNING_RULE_EVIDENCE ? &priority_ : nullptr};
      Reduction reduction(*this);
      if (W > 1) ctx.reduction = &reduction;
      // The ledger: the run so far, this step included, may cost at most the ungated run's
      // FLOPs (cumulative unpruned minus cumulative actual is what gating and pruning saved
      // less what the estimator spent), so pruning never makes training more expensive. The
      // re-runs are drawn, so a step can overspend its expectation by at most one step's
      // re-runs; the next steps' credit takes it back.
      if (ledger_)
        ctx.max_flops = ((cumulative_flops_unpruned_ + out.step_flops_unpruned) -
                         (cumulative_flops_ + sampled_flops + estimator_flops)) / double(W);
      estimator_flops += estimator_->estimate(ctx, theta_grad_) * double(W);
    }
  }
  // The step's all-reduce, where the estimator did not run it (no gates, theta frozen).
  if (W > 1 && !reduced_this_step_) all_reduce_step(nullptr, 0, &loss);
  if (W > 1) loss = global_loss_, correct = step_correct_;
  if (!config_.no_gates) add_prior(prior_terms(&train));
  // One norm pass and one update pass per parameter tensor: the weight decay and the prior's
  // pull are added inside both (param_decay), never stored into the gradient.
  Backend& be = model_.backend();
  const double scale = clip_scale(&out.grad_norm);
  const double lr = schedule_.at(step_);
  for (const ParamRef& p : model_.params())
    be.sgd_momentum(p.w, p.v, p.g, p.n, float(lr), float(config_.momentum), float(scale), param_decay(p));

  // FLOPs of what ran: the sampled network (forward once, backward twice) and the
  // estimator's extra forward passes; the unpruned equivalent runs every section.
  out.step_flops = sampled_flops + estimator_flops;
  out.estimator_flops = estimator_flops;
  cumulative_estimator_flops_ += estimator_flops;
  cumulative_flops_ += out.step_flops;
  cumulative_flops_unpruned_ += out.step_flops_unpruned;

  ++step_;
  out.pruned_this_step = config_.no_gates || theta_frozen ? 0 : update_thetas();
  out.step = step_;
  out.loss = loss;
  out.accuracy = double(correct) / double(global_rows);
  out.lr = lr;
  out.live_sections = model_.live_sections();
  out.active_sections = 0;
  for (float g : gates_) out.active_sections += g != 0.f;
  return out;
}

void TrainingSession::set_communicator(Communicator* communicator) {
  // A resumed run sets it after restore_state (step_ > 0): its checkpoint's world size is checked
  // at the next step.
  comm_ = communicator && communicator->size() > 1 ? communicator : nullptr;
  if (comm_)
    require(config_.batch_size % comm_->size() == 0, "invalid training configuration: batch_size ",
            config_.batch_size, " must be a multiple of the number of ranks (", comm_->size(),
            "): each rank trains on an equal share of every batch");
  fused_.clear();
  planned_live_ = -1;
}

// What the all-reduce carries: every weight gradient, then the BN running statistics (updated
// by this shard's forward; their mean is what a whole-batch forward would leave, since the
// update is linear in the batch statistics). Re-planned when a prune changed the tensors.
void TrainingSession::plan_reduction() {
  reduced_.clear();
  reduced_tensor_floats_ = 0;
  for (const ParamRef& p : model_.params()) {
    reduced_.push_back({p.g, p.n});
    reduced_tensor_floats_ += p.n;
  }
  auto ends_with = [](const std::string& s, const char* tail) {
    const size_t n = std::strlen(tail);
    return s.size() >= n && s.compare(s.size() - n, n, tail) == 0;
  };
  for (const StateTensor& t : model_.state_tensors())
    if (ends_with(t.name, ".running_mean") || ends_with(t.name, ".running_var")) {
      reduced_.push_back({t.data, t.count});
      reduced_tensor_floats_ += t.count;
    }
  planned_live_ = model_.live_sections();
}

void TrainingSession::all_reduce_step(double* values, int32_t n, double* step_loss) {
  require(!reduced_this_step_, "could not run the step's all-reduce because it already ran in this step");
  reduced_this_step_ = true;
  if (planned_live_ != model_.live_sections()) plan_reduction();
  const size_t need = size_t(reduced_tensor_floats_) + size_t(n) + 2;
  if (fused_.size() != need) fused_.resize(need);  // only when a prune or the estimator's count changed it
  Backend& be = model_.backend();
  float* f = fused_.data();
  for (const auto& [data, count] : reduced_) {
    be.to_host(f, data, sizeof(float) * size_t(count));
    f += count;
  }
  for (int32_t i = 0; i < n; ++i) *f++ = float(values[i]);
  *f++ = float(*step_loss);
  *f++ = float(step_correct_);
  char what[96];
  std::snprintf(what, sizeof what, "the all-reduce of step %lld", static_cast<long long>(step_ + 1));
  comm_->all_reduce_sum(fused_.data(), int64_t(need), what);
  reduce_seconds_ += comm_->last_seconds();
  const float inv = 1.0f / float(comm_->size());
  f = fused_.data();
  for (const auto& [data, count] : reduced_) {
    for (int64_t i = 0; i < count; ++i) f[i] *= inv;
    be.to_device(data, f, sizeof(float) * size_t(count));
    f += count;
  }
  for (int32_t i = 0; i < n; ++i) values[i] = double(*f++) / comm_->size();
  global_loss_ = double(*f++) / comm_->size();
  *step_loss = global_loss_;
  step_correct_ = int64_t(*f++);
}

void TrainingSession::verify_replicas(const char* when) {
  if (!comm_) return;
  // FNV-1a over every weight and momentum, every theta and pruned flag, and the step count.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](const void* p, size_t bytes) {
    const unsigned char* b = static_cast<const unsigned char*>(p);
    for (size_t i = 0; i < bytes; ++i) h = (h ^ b[i]) * 1099511628211ULL;
  };
  std::vector<float> host;
  Backend& be = model_.backend();
  for (const ParamRef& p : model_.params())
    for (const float* t : {p.w, p.v}) {
      host.resize(size_t(p.n));
      be.to_host(host.data(), t, sizeof(float) * size_t(p.n));
      mix(host.data(), sizeof(float) * host.size());
    }
  for (int32_t l = 0; l < model_.sections(); ++l) {
    const GateState& s = model_.gate(l);
    mix(&s.theta, sizeof s.theta);
    const char pruned = s.pruned ? 1 : 0;
    mix(&pruned, 1);
  }
  mix(&step_, sizeof step_);
  require(comm_->same_on_every_rank(h, "the replica check"), "rank ", comm_->rank(), " of ", comm_->size(),
          ": the replicas diverged (", when, ", step ", step_,
          "): this rank's weights, momenta or thetas differ from another rank's");
}

void TrainingSession::finish() {
  prefetcher_->invalidate();
  model_.determinize(step_);
}

double TrainingSession::tau(int32_t l) {
  require(l >= 0 && l < model_.sections(), "section index ", l, " is outside [0, ", model_.sections(), ")");
  if (tau_[l] >= 0.0) return tau_[l];  // from the last step: no pass over the weights
  if (model_.gate(l).pruned) return 0.0;
  prior::Terms terms = prior_terms(nullptr);
  terms.lambda *= prior_scale_[l];
  return prior::tau(terms, model_.section_weights(l), prior_norm2(l));
}

double TrainingSession::evidence_mean(int32_t l) const {
  require(l >= 0 && l < model_.sections(), "section index ", l, " is outside [0, ", model_.sections(), ")");
  return evidence_ ? evidence_->mean(l) : 0.0;
}

double TrainingSession::evidence_long_mean(int32_t l) const {
  require(l >= 0 && l < model_.sections(), "section index ", l, " is outside [0, ", model_.sections(), ")");
  return evidence_ ? evidence_->long_mean(l) : 0.0;
}

double TrainingSession::evidence_long_stderr(int32_t l) const {
  require(l >= 0 && l < model_.sections(), "section index ", l, " is outside [0, ", model_.sections(), ")");
  return evidence_ ? evidence_->long_standard_error(l) : std::numeric_limits<double>::infinity();
}

double TrainingSession::evidence_stderr(int32_t l) const {
  require(l >= 0 && l < model_.sections(), "section index ", l, " is outside [0, ", model_.sections(), ")");
  return evidence_ ? evidence_->standard_error(l) : std::numeric_limits<double>::infinity();
}

}  // namespace layerprune
