// The training step of ALGORITHM.md: sample gates, forward, backward, estimate
// dJ/dtheta, add the prior terms, clip, projected SGD on W and theta, prune.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "core/communicator.h"
#include "core/rng.h"
#include "layerprune/types.h"
#include "method/batch_prefetcher.h"
#include "method/estimator.h"
#include "method/evidence.h"
#include "method/prior.h"
#include "method/schedule.h"
#include "method/training_defaults.h"
#include "model/dataset.h"
#include "model/gated_network.h"

namespace layerprune {

namespace io {
class Container;
}

// Defaults and validation of TrainConfig live in method/training_defaults.h.

// Each section's share of the prior strength (lambda_l = lambda * scale_l) under a
// PriorScaling: all 1 per weight; n_max F_l / (n_l F_max) per FLOP.
std::vector<double> prior_scales(const GatedNetwork& model, int32_t scaling);

class TrainingSession {
 public:
  TrainingSession(GatedNetwork& model, const TrainConfig& config);
  ~TrainingSession();  // waits for the batch being prefetched, joins the loader thread
  TrainingSession(const TrainingSession&) = delete;
  TrainingSession& operator=(const TrainingSession&) = delete;

  // Shuffles the data set order; returns the number of full batches.
  int64_t begin_epoch(const Dataset& train);
  StepStats step(const Dataset& train, int64_t batch_index);
  // Determinizes the model (theta >= 0.5 kept at xi = 1, the rest pruned).
  void finish();

  // tau_l at the weights of the last step (computed fresh before the first step);
  // a pruned section keeps the value it had when it was pruned.
  double tau(int32_t l);
  double cumulative_flops() const { return cumulative_flops_; }
  double cumulative_flops_unpruned() const { return cumulative_flops_unpruned_; }
  double cumulative_estimator_flops() const { return cumulative_estimator_flops_; }
  // Running mean of section l's data-term estimates and its standard error (evidence rule).
  double evidence_mean(int32_t l) const;
  double evidence_stderr(int32_t l) const;
  // The evidence rule's long window (moves towards removal need it too).
  double evidence_long_mean(int32_t l) const;
  double evidence_long_stderr(int32_t l) const;
  // Theta change of each section in the last step (0 for pruned ones), before projection.
  const std::vector<double>& theta_steps() const { return theta_step_; }
  // Where a theta drifts while the evidence supports neither direction: 1 - estimator_budget
  // under the evidence rule with the budgeted estimator (its cost ledger), else 1.
  double rest_theta() const { return rest_theta_; }
  // Prior part of dJ/dtheta of the last step.
  const std::vector<double>& prior_gradient() const { return prior_grad_; }
  int64_t steps_done() const { return step_; }
  const TrainConfig& config() const { return config_; }
  const std::vector<double>& theta_gradient() const { return theta_grad_; }

  // Replaces the estimator (tests plant estimators with known statistics; the evidence
  // rule's tests need it). Not for use mid-run by applications: its state starts afresh.
  void replace_estimator(std::unique_ptr<ThetaEstimator> estimator) { estimator_ = std::move(estimator); }

  // Batch b+1 is prepared on a loader thread while step b computes (on unless
  // LAYERPRUNE_PREFETCH=0). Results are bit-identical either way; tests and benchmarks
  // switch it here.
  void set_prefetch(bool on) { prefetcher_->set_enabled(on); }
  bool prefetch() const { return prefetcher_->enabled(); }

  // Data-parallel training (docs/SCALING.md). Every rank runs a session with the same
  // configuration and seed on the same data set; the communicator's rank takes rows
  // [rank * B / W, (rank + 1) * B / W) of each global batch of B = batch_size rows (B must be a
  // multiple of W). Gates, estimator draws, the shuffle and augmentation come from the shared
  // seed, so they agree without a message; the weight gradients, the estimator's per-section
  // numbers, the loss and the BN running statistics are averaged over the ranks in one
  // all-reduce per step, after which every rank takes the same SGD step, theta step and
  // pruning decision. Not owned; set before the first step; null or size 1 = one process.
  void set_communicator(Communicator* communicator);
  Communicator* communicator() const { return comm_; }
  // Throws Error unless every rank holds bit-identical weights, momenta, thetas and step
  // count (a checksum compared across ranks); the epoch loop calls it after every epoch.
  void verify_replicas(const char* when);
  // Floats in the step's all-reduce (0 in a single process) and the last one's wall time.
  int64_t reduced_floats() const { return int64_t(fused_.size()); }
  double last_reduce_seconds() const { return comm_ ? comm_->last_seconds() : 0.0; }
  double total_reduce_seconds() const { return reduce_seconds_; }

  // Serialization hooks (checkpoints, method/trainer_state.cpp): RNG, step counter,
  // FLOP counters, N, the epoch permutation, tau, the last theta gradient and the
  // estimator's state. The network's own state is saved apart (io/network_state.h).
  void save_state(io::Container& out) const;
  // Into a session built with the same configuration on the restored network.
  void restore_state(const io::Container& in);

 private:
  prior::Terms prior_terms(const Dataset* train) const;
  BatchRequest batch_request(const Dataset& train, int64_t batch_index, int64_t rows, int64_t global_step) const;
  void load_batch(const Dataset& train, int64_t batch_index, int64_t rows);
  void sample_gates();
  double prior_norm2(int32_t l);
  void add_prior(const prior::Terms& terms);
  float param_decay(const ParamRef& p) const;
  double clip_scale(double* norm_out);
  void compute_theta_steps(double eta_theta);
  int32_t update_thetas();
  int32_t world() const { return comm_ ? comm_->size() : 1; }
  // The fused all-reduce: what it carries is planned here (after every prune), not per step.
  void plan_reduction();
  void all_reduce_step(double* values, int32_t n, double* step_loss);
  class Reduction;

  GatedNetwork& model_;
  TrainConfig config_;
  Rng rng_;  // gates, estimator subsets, shuffling (augmentation has its own: augment.h)
  std::unique_ptr<ThetaEstimator> estimator_;
  std::unique_ptr<ThetaEvidence> evidence_;  // evidence rule (docs/ALGORITHM.md "Pruning rule")
  LrSchedule schedule_;        // eta_W
  LrSchedule theta_schedule_;  // eta_theta (constant or step)
  int64_t step_ = 0;
  double cumulative_flops_ = 0.0;
  double cumulative_flops_unpruned_ = 0.0;
  double cumulative_estimator_flops_ = 0.0;
  double n_train_ = 0.0;
  // Evidence rule with the budgeted estimator: the cost ledger (the estimator spends only what
  // gating and pruning have saved against an ungated run) and the rest point 1 - budget that a
  // gate drifts to while in doubt, whose skipped sections fund the ledger (ALGORITHM.md 3-4).
  bool ledger_ = false;
  double rest_theta_ = 1.0;

  std::vector<float> gates_;        // xi of this step (L)
  std::vector<float> all_on_;       // every gate 1 (unpruned accounting)
  std::vector<double> theta_grad_;  // dJ/dtheta estimate of this step (L): data estimate + prior
  std::vector<double> prior_grad_;  // prior part of it (L)
  std::vector<double> theta_step_;  // theta change of this step before projection (L)
  std::vector<double> priority_;    // evidence rule: how much a re-run of each section is worth (L)
  std::vector<double> prior_scale_; // lambda_l / lambda of each section (PriorScaling)
  std::vector<double> initial_norm2_; // E||W_l||^2 of the initialisation (PRIOR_NORM_INITIAL only)
  std::vector<double> norm2_;       // ||W_l||^2 of this step (L)
  std::vector<double> prior_pull_;  // the prior's coefficient on W_l in dJ/dW_l this step (L)
  std::vector<double> tau_;         // tau_l of this step (L), kept when a section is pruned
  std::vector<double> directional_; // <dL/d zbar_l, B_l> from backward (linearized estimators)
  std::vector<int64_t> order_;      // epoch permutation of the training set
  uint64_t epoch_ = 0;              // counts permutations of order_: a prefetched batch's identity
  Communicator* comm_ = nullptr;
  std::vector<float> fused_;                              // the step's all-reduce buffer
  std::vector<std::pair<float*, int64_t>> reduced_;       // weight gradients, then BN running stats
  int64_t reduced_tensor_floats_ = 0;
  int64_t step_correct_ = 0;                              // this shard's correct predictions (then all)
  double reduce_seconds_ = 0.0;                           // wall time in the all-reduces so far
  double global_loss_ = 0.0;                              // the global batch's loss after the all-reduce
  int32_t planned_live_ = -1;
  int64_t saved_world_ = 0;                               // ranks of the run a checkpoint restored (0: none)                             // live sections when reduced_ was planned
  bool reduced_this_step_ = false;
  // Declared last, so destroyed first: its thread reads order_ until joined.
  std::unique_ptr<BatchPrefetcher> prefetcher_;
};

}  // namespace layerprune
