// The epoch loop of a training run, the one copy of it (issue 13): how many steps an epoch has,
// its batches in order, the epoch's running statistics (loss, accuracy, FLOPs, prunes), the
// count of epochs and stopping when asked. TrainingSession::step is the step; the Java Trainer
// (through the C API's trainer_epoch_* calls) and the native tools (native_train, the GPU
// training tool, estimator_trace) are thin callers of this loop: they begin an epoch, run its
// steps in chunks of their choosing (Java: one step per call, so that listeners see every step),
// and report what the loop's EpochStats say.
#pragma once
#include <atomic>
#include <cstdint>

#include "layerprune/types.h"
#include "model/dataset.h"

namespace layerprune {

class TrainingSession;

// The steps of an epoch of `samples` rows in batches of `batch_size`: full batches only (the last
// partial batch is dropped), and at least one (a data set smaller than a batch is one batch of
// itself). TrainingSession::begin_epoch returns it.
int64_t steps_per_epoch(int64_t samples, int32_t batch_size);

class EpochLoop {
 public:
  explicit EpochLoop(TrainingSession& session);
  EpochLoop(const EpochLoop&) = delete;
  EpochLoop& operator=(const EpochLoop&) = delete;

  // A run of `epochs` (>= 0) epochs whose first `epochs_done` are done already (a resumed run):
  // the next begin_epoch begins epoch epochs_done + 1. Clears the statistics and any stop
  // request. Until it is called the loop holds a run of no epochs.
  void start(int32_t epochs, int32_t epochs_done = 0);

  // Begins the next epoch: reshuffles the training set (TrainingSession::begin_epoch) and resets
  // the epoch's statistics; true. False, beginning nothing, when the run is over: every epoch is
  // done, or a stop was requested (stats().stopped then says whether epochs were left).
  bool begin_epoch(const Dataset& train);

  // Runs up to `max_steps` steps of the current epoch, in batch order, and returns how many ran:
  // fewer at the epoch's end, and none once a stop is requested (checked before every step, so a
  // request ends the run after the step in flight). out[i] (max_steps entries, or null) gets step
  // i's StepStats. Allocates nothing.
  int64_t run(const Dataset& train, int64_t max_steps, StepStats* out = nullptr);
  // The rest of the current epoch (until it ends or a stop is requested).
  int64_t run_epoch(const Dataset& train) { return run(train, INT64_MAX); }

  // Asks the run to end before its next step; from any thread, no lock needed.
  void request_stop() noexcept { stop_.store(true, std::memory_order_relaxed); }
  bool stop_requested() const noexcept { return stop_.load(std::memory_order_relaxed); }

  // The current epoch so far (the last one, once the run is over).
  const EpochStats& stats() const { return stats_; }
  int32_t epochs_done() const { return epochs_done_; }

 private:
  TrainingSession& session_;
  EpochStats stats_{};
  int32_t epochs_done_ = 0;  // complete epochs of the run
  double loss_sum_ = 0.0, accuracy_sum_ = 0.0;
  bool began_ = false;  // an epoch of this run was begun (run needs one)
  std::atomic<bool> stop_{false};
};

}  // namespace layerprune
