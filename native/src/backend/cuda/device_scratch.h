// A device buffer that grows to the largest request and is then reused: the backend's
// private workspace (split-K partial sums, per-channel partials, reduction results).
// It grows only while new shapes appear (the first steps), so the step loop does not
// allocate. cudaFree waits for the device, so kernels still using the old buffer finish
// before it goes.
#pragma once
#include <cstddef>

#include <cuda_runtime.h>

#include "backend/cuda/cuda_check.h"

namespace layerprune::cuda {

class DeviceScratch {
 public:
  DeviceScratch() = default;
  DeviceScratch(const DeviceScratch&) = delete;
  DeviceScratch& operator=(const DeviceScratch&) = delete;
  ~DeviceScratch() {
    if (data_) cudaFree(data_);
  }
  template <typename T>
  T* get(size_t count) {
    const size_t bytes = count * sizeof(T);
    if (bytes > bytes_) {
      if (data_) check(cudaFree(data_), "free a CUDA workspace");
      data_ = nullptr;
      bytes_ = 0;
      check(cudaMalloc(&data_, bytes), "allocate a CUDA workspace (out of GPU memory?)");
      bytes_ = bytes;
    }
    return static_cast<T*>(data_);
  }

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace layerprune::cuda
