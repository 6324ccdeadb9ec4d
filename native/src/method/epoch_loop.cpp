#include "method/epoch_loop.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "core/error.h"
#include "method/trainer.h"

namespace layerprune {

int64_t steps_per_epoch(int64_t samples, int32_t batch_size) {
  require(batch_size > 0, "could not count the steps of an epoch because the batch size must be > 0, got ",
          batch_size);
  require(samples >= 0, "could not count the steps of an epoch because the sample count must be >= 0, got ",
          samples);
  return std::max<int64_t>(1, samples / batch_size);
}

EpochLoop::EpochLoop(TrainingSession& session) : session_(session) { start(0, 0); }

void EpochLoop::start(int32_t epochs, int32_t epochs_done) {
  require(epochs >= 0, "could not start the epoch loop because epochs must be >= 0, got ", epochs);
  require(epochs_done >= 0 && epochs_done <= epochs,
          "could not start the epoch loop because the epochs done (", epochs_done, ") must be in [0, ", epochs, "]");
  stats_ = EpochStats{};
  stats_.epochs = epochs;
  stats_.epoch = epochs_done;
  stats_.loss = stats_.accuracy = std::numeric_limits<double>::quiet_NaN();
  stats_.live_sections = -1;
  stats_.complete = epochs_done > 0 ? 1 : 0;
  epochs_done_ = epochs_done;
  loss_sum_ = accuracy_sum_ = 0.0;
  began_ = false;
  stop_.store(false, std::memory_order_relaxed);
}

bool EpochLoop::begin_epoch(const Dataset& train) {
  if (epochs_done_ >= stats_.epochs) return false;  // the run is complete
  if (stop_requested()) {  // between epochs, with epochs left
    stats_.stopped = 1;
    return false;
  }
  const int64_t steps = session_.begin_epoch(train);
  const int32_t epochs = stats_.epochs;
  stats_ = EpochStats{};
  stats_.epochs = epochs;
  stats_.epoch = epochs_done_ + 1;
  stats_.steps = steps;
  stats_.loss = stats_.accuracy = std::numeric_limits<double>::quiet_NaN();
  stats_.live_sections = -1;
  loss_sum_ = accuracy_sum_ = 0.0;
  began_ = true;
  return true;
}

int64_t EpochLoop::run(const Dataset& train, int64_t max_steps, StepStats* out) {
  require(max_steps >= 0, "could not run training steps because max_steps must be >= 0, got ", max_steps);
  require(began_, "could not run training steps because no epoch was begun (call begin_epoch first)");
  int64_t n = 0;
  while (n < max_steps && stats_.steps_done < stats_.steps) {
    if (stop_requested()) {  // steps are left: the epoch stays incomplete
      stats_.stopped = 1;
      break;
    }
    const StepStats s = session_.step(train, stats_.steps_done);
    if (out) out[n] = s;
    ++n;
    ++stats_.steps_done;
    // The same sums in the same order as the loops this replaces: means bit for bit theirs.
    loss_sum_ += s.loss;
    accuracy_sum_ += s.accuracy;
    stats_.loss = loss_sum_ / double(stats_.steps_done);
    stats_.accuracy = accuracy_sum_ / double(stats_.steps_done);
    stats_.flops += s.step_flops;
    stats_.flops_unpruned += s.step_flops_unpruned;
    stats_.estimator_flops += s.estimator_flops;
    stats_.pruned += s.pruned_this_step;
    stats_.live_sections = s.live_sections;
    stats_.last_step = s.step;
    if (stats_.steps_done == stats_.steps) {
      stats_.complete = 1;
      ++epochs_done_;
      // Data-parallel runs: every rank must hold the same network after every epoch.
      char when[48];
      std::snprintf(when, sizeof when, "after epoch %d", epochs_done_);
      session_.verify_replicas(when);
    }
  }
  return n;
}

}  // namespace layerprune
