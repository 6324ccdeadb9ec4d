#include "method/batch_prefetcher.h"

#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/rng.h"
#include "method/augment.h"

namespace layerprune {

void prepare_batch(const BatchRequest& request, const AugmentSpec& augment, HostBatch& out) {
  const Dataset& data = *request.data;
  const int64_t dim = data.dim;
  const int64_t* order = request.order + request.batch * request.batch_size + request.offset;
  // Its own stream, not the session's: the same batch gets the same crops and flips
  // whichever thread prepares it and whenever (and whichever rank's shard holds a row).
  Rng rng(augment_seed(augment.seed, request.global_step));
  if (augment.on)
    for (int64_t r = 0; r < request.offset; ++r) draw_augment(augment.pad, augment.flip, rng);
  for (int64_t r = 0; r < request.rows; ++r) {
    const int64_t i = order[r];
    if (augment.on)
      augment_image(&data.features[i * dim], &out.x[r * dim], augment.channels, augment.height, augment.width,
                    augment.pad, augment.flip, rng);
    else
      std::memcpy(&out.x[r * dim], &data.features[i * dim], sizeof(float) * dim);
    out.y[r] = data.labels[i];
  }
}

bool prefetch_enabled_by_default() {
  static const bool on = [] {
    const char* v = std::getenv("LAYERPRUNE_PREFETCH");
    return v == nullptr || std::strcmp(v, "0") != 0;
  }();
  return on;
}

BatchPrefetcher::BatchPrefetcher(int64_t max_rows, int64_t dim, const AugmentSpec& augment)
    : augment_(augment), enabled_(prefetch_enabled_by_default()) {
  for (HostBatch& b : buffers_) {
    b.x.resize(static_cast<size_t>(max_rows * dim));
    b.y.resize(static_cast<size_t>(max_rows));
  }
}

BatchPrefetcher::~BatchPrefetcher() {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !job_pending_; });
    stop_ = true;
  }
  wake_.notify_one();
  if (worker_.joinable()) worker_.join();
}

void BatchPrefetcher::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return !job_pending_; });
}

void BatchPrefetcher::invalidate() {
  wait();
  valid_[0] = valid_[1] = false;
}

void BatchPrefetcher::set_enabled(bool on) {
  invalidate();
  enabled_ = on;
}

const HostBatch& BatchPrefetcher::acquire(const BatchRequest& request) {
  wait();  // the mutex also publishes the worker's writes to the buffer
  for (int k = 0; k < 2; ++k)
    if (valid_[k] && staged_[k] == request) {
      current_ = k;
      return buffers_[k];
    }
  current_ ^= 1;  // never the buffer just uploaded: a device copy may still read it
  valid_[current_] = false;
  prepare_batch(request, augment_, buffers_[current_]);
  staged_[current_] = request;
  valid_[current_] = true;
  return buffers_[current_];
}

void BatchPrefetcher::prefetch(const BatchRequest& request) {
  if (!enabled_) return;
  if (!worker_.joinable()) worker_ = std::thread([this] { worker_loop(); });
  {
    std::lock_guard<std::mutex> lock(mutex_);
    require(!job_pending_, "could not prefetch a batch because another is still being prepared");
    job_buffer_ = current_ ^ 1;
    valid_[job_buffer_] = false;
    job_ = request;
    job_pending_ = true;
  }
  wake_.notify_one();
}

void BatchPrefetcher::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || job_pending_; });
    if (stop_) return;
    const BatchRequest job = job_;
    const int buffer = job_buffer_;
    lock.unlock();
    bool ok = true;
    try {
      prepare_batch(job, augment_, buffers_[buffer]);
    } catch (...) {
      ok = false;  // acquire then prepares it on the training thread, where an error surfaces
    }
    lock.lock();
    staged_[buffer] = job;
    valid_[buffer] = ok;
    job_pending_ = false;
    done_.notify_all();
  }
}

}  // namespace layerprune
