// Training batches prepared one step ahead: while step b computes, one persistent
// worker thread gathers (and for image models augments) batch b+1 into the second of
// two host staging buffers. The batch is a pure function of its BatchRequest (the data
// set, the epoch permutation, the batch index and the global step index that seeds its
// augmentation), so a prefetched batch is bit-identical to one prepared on the spot,
// and a run does not depend on thread timing or on whether prefetch is on.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "model/dataset.h"

namespace layerprune {

// How batches are augmented (fixed for a session).
struct AugmentSpec {
  bool on = false;
  int64_t channels = 0, height = 0, width = 0;
  int32_t pad = 0;
  bool flip = false;
  int64_t seed = 0;  // the training configuration's seed
};

// Which batch: rows [batch * batch_size + offset, +rows) of `order` (the epoch permutation) of
// `data`, augmented with randomness derived from (seed, global_step). `epoch` counts
// the session's permutations, so a batch prepared before a reshuffle never matches.
struct BatchRequest {
  const Dataset* data = nullptr;
  const int64_t* order = nullptr;
  uint64_t epoch = 0;
  int64_t batch = 0;
  int64_t batch_size = 0;
  int64_t rows = 0;
  int64_t global_step = 0;
  // Data-parallel training: this rank's shard starts `offset` rows into the batch (its
  // augmentation draws are those the rows would get in the whole batch).
  int64_t offset = 0;
  bool operator==(const BatchRequest& o) const {
    return data == o.data && order == o.order && epoch == o.epoch && batch == o.batch &&
           batch_size == o.batch_size && rows == o.rows && global_step == o.global_step && offset == o.offset;
  }
};

// One staged batch: (rows, dim) features and (rows) labels.
struct HostBatch {
  std::vector<float> x;
  std::vector<int32_t> y;
};

// Fills `out` with the batch `request` names: the reference, run on either thread.
void prepare_batch(const BatchRequest& request, const AugmentSpec& augment, HostBatch& out);

// LAYERPRUNE_PREFETCH=0 in the environment turns prefetch off (read once): for
// benchmarks and for bisecting; results are the same either way.
bool prefetch_enabled_by_default();

class BatchPrefetcher {
 public:
  // Staging for batches of up to `max_rows` rows of `dim` features (allocated here, once).
  BatchPrefetcher(int64_t max_rows, int64_t dim, const AugmentSpec& augment);
  ~BatchPrefetcher();  // waits for a job in flight, stops and joins the worker
  BatchPrefetcher(const BatchPrefetcher&) = delete;
  BatchPrefetcher& operator=(const BatchPrefetcher&) = delete;

  // The batch `request` names: the prefetched one if it matches, else prepared now
  // on the calling thread. It stays valid until the next acquire: the worker writes
  // only the other buffer.
  const HostBatch& acquire(const BatchRequest& request);
  // Starts preparing `request` on the worker (into the buffer acquire did not return).
  // A no-op when prefetch is off. At most one job is in flight; call wait() or
  // acquire() before the next one.
  void prefetch(const BatchRequest& request);
  // Blocks until no job is in flight (cheap when none is).
  void wait();
  // Waits, then forgets the prefetched batch (the permutation or the data changed).
  void invalidate();

  void set_enabled(bool on);
  bool enabled() const { return enabled_; }

 private:
  void worker_loop();

  AugmentSpec augment_;
  HostBatch buffers_[2];
  BatchRequest staged_[2];  // what each buffer holds
  bool valid_[2] = {false, false};
  int current_ = 0;         // the buffer acquire returned last (the one being uploaded)
  bool enabled_ = true;

  std::mutex mutex_;
  std::condition_variable wake_;  // a job was queued or stop_ set
  std::condition_variable done_;  // the job finished
  BatchRequest job_;
  int job_buffer_ = 0;
  bool job_pending_ = false;      // queued or running
  bool stop_ = false;
  std::thread worker_;            // started by the first prefetch, joined by the destructor
};

}  // namespace layerprune
