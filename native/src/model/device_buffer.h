// A float array in backend memory, freed when it goes out of scope or is reset.
// Every buffer reports its size to a MemoryTracker so a model can say how much
// native memory it holds.
#pragma once
#include <cstdint>
#include <utility>

#include "backend/backend.h"

namespace layerprune {

struct MemoryTracker {
  int64_t bytes = 0;
};

template <typename T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(Backend& backend, MemoryTracker& tracker, int64_t count)
      : backend_(&backend), tracker_(&tracker), count_(count) {
    data_ = static_cast<T*>(backend.allocate(sizeof(T) * static_cast<size_t>(count)));
    tracker_->bytes += bytes();
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept { swap(o); }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    reset();
    swap(o);
    return *this;
  }
  ~DeviceArray() { reset(); }

  void reset() {
    if (data_) {
      tracker_->bytes -= bytes();
      backend_->release(data_);
    }
    data_ = nullptr;
    count_ = 0;
  }
  T* data() const { return data_; }
  int64_t size() const { return count_; }
  int64_t bytes() const { return static_cast<int64_t>(sizeof(T)) * count_; }
  explicit operator bool() const { return data_ != nullptr; }

 private:
  void swap(DeviceArray& o) {
    std::swap(backend_, o.backend_);
    std::swap(tracker_, o.tracker_);
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
  }
  Backend* backend_ = nullptr;
  MemoryTracker* tracker_ = nullptr;
  T* data_ = nullptr;
  int64_t count_ = 0;
};

using DeviceBuffer = DeviceArray<float>;

}  // namespace layerprune
