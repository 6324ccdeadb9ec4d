// TrainingSession's checkpoint records: everything a step reads that an earlier step
// wrote, so a restored session continues bit-exactly.
#include "core/error.h"
#include "io/binary_container.h"
#include "method/trainer.h"

namespace layerprune {

void TrainingSession::save_state(io::Container& out) const {
  // No batch job outlives a step; waiting anyway keeps this true if that ever changes.
  // Nothing of the prefetcher is saved: a restored session prepares its next batch
  // itself, and the batch depends only on (order_, step_, seed), which are saved.
  prefetcher_->wait();
  const RngState r = rng_.state();
  out.put_i64_array("trainer.rng", {static_cast<int64_t>(r.words[0]), static_cast<int64_t>(r.words[1]),
                                    static_cast<int64_t>(r.words[2]), static_cast<int64_t>(r.words[3]),
                                    r.has_spare ? 1 : 0});
  out.put_f64("trainer.rng_spare", r.spare);
  out.put_i64("trainer.step", step_);
  out.put_f64("trainer.cumulative_flops", cumulative_flops_);
  out.put_f64("trainer.cumulative_flops_unpruned", cumulative_flops_unpruned_);
  out.put_f64("trainer.n_train", n_train_);
  out.put_i64_array("trainer.order", order_);
  out.put_f64_array("trainer.tau", tau_);
  out.put_f64_array("trainer.theta_gradient", theta_grad_);
  out.put_f64_array("trainer.estimator_state", estimator_ ? estimator_->state() : std::vector<double>{});
  out.put_f64("trainer.cumulative_estimator_flops", cumulative_estimator_flops_);
  out.put_f64_array("trainer.evidence", evidence_ ? evidence_->state() : std::vector<double>{});
  out.put_f64_array("trainer.priority", priority_);
  out.put_i64("trainer.world_size", world());  // a data-parallel run resumes on as many ranks
}

void TrainingSession::restore_state(const io::Container& in) {
  const int32_t L = model_.sections();
  const std::vector<int64_t> rng = in.get_i64_array("trainer.rng");
  require(rng.size() == 5, "could not restore the trainer because record 'trainer.rng' holds ", rng.size(),
          " values, expected 5");
  RngState r{};
  for (int i = 0; i < 4; ++i) r.words[i] = static_cast<uint64_t>(rng[i]);
  r.has_spare = rng[4] != 0;
  r.spare = in.get_f64("trainer.rng_spare");
  // Checkpoints from before data-parallel training were written by one process.
  saved_world_ = in.has("trainer.world_size") ? in.get_i64("trainer.world_size") : 1;
  const int64_t step = in.get_i64("trainer.step");
  require(step >= 0, "could not restore the trainer because its step counter is ", step, " (corrupt)");
  std::vector<int64_t> order = in.get_i64_array("trainer.order");
  // The permutation indexes the training set: every entry must be distinct and in
  // range, or a corrupt file would make a step read outside the data.
  std::vector<bool> seen(order.size(), false);
  for (int64_t i : order) {
    require(i >= 0 && i < static_cast<int64_t>(order.size()) && !seen[static_cast<size_t>(i)],
            "could not restore the trainer because its epoch permutation is not a permutation (corrupt)");
    seen[static_cast<size_t>(i)] = true;
  }
  std::vector<double> tau = in.get_f64_array("trainer.tau");
  std::vector<double> theta_grad = in.get_f64_array("trainer.theta_gradient");
  require(tau.size() == static_cast<size_t>(L) && theta_grad.size() == static_cast<size_t>(L),
          "could not restore the trainer because its per-section records do not have ", L, " sections");
  if (estimator_) estimator_->restore(in.get_f64_array("trainer.estimator_state"));
  // Checkpoints from before the evidence rule have neither record; they were trained with
  // the plain rule (load_train_config says so), which keeps no evidence.
  if (evidence_ && in.has("trainer.evidence")) evidence_->restore(in.get_f64_array("trainer.evidence"));
  if (in.has("trainer.priority")) {
    std::vector<double> priority = in.get_f64_array("trainer.priority");
    require(priority.size() == static_cast<size_t>(L),
            "could not restore the trainer because record 'trainer.priority' does not have ", L, " sections");
    priority_ = std::move(priority);
  }

  prefetcher_->invalidate();  // a batch prefetched for the old permutation or step is stale
  ++epoch_;
  rng_.restore(r);
  step_ = step;
  cumulative_flops_ = in.get_f64("trainer.cumulative_flops");
  cumulative_flops_unpruned_ = in.get_f64("trainer.cumulative_flops_unpruned");
  cumulative_estimator_flops_ =
      in.has("trainer.cumulative_estimator_flops") ? in.get_f64("trainer.cumulative_estimator_flops") : 0.0;
  n_train_ = in.get_f64("trainer.n_train");
  order_ = std::move(order);
  tau_ = std::move(tau);
  theta_grad_ = std::move(theta_grad);
}

}  // namespace layerprune
