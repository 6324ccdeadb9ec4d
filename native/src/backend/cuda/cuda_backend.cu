// The CUDA backend: every op of backend.h on one NVIDIA GPU, queued on one stream.
// Memory stays on the device; the host waits only where the interface returns a value
// (to_host, the loss, sum_squares, dot). Kernels are in the files named in kernels.h.
#include <cmath>
#include <cstdint>
#include <memory>

#include <cuda_runtime.h>

#include "backend/backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_scratch.h"
#include "backend/cuda/kernels.h"
#include "core/error.h"

namespace layerprune {
namespace {

class CudaBackend final : public Backend {
 public:
  CudaBackend() {
    int devices = 0;
    const cudaError_t status = cudaGetDeviceCount(&devices);
    // No device, no driver (or one too old for this runtime), or 0 devices: there is no GPU to use.
    // Any other status is a driver that is there but fails, and says so.
    if (status == cudaErrorNoDevice || status == cudaErrorInsufficientDriver || (status == cudaSuccess && devices == 0))
      fail("could not use the CUDA device because no CUDA-capable GPU or driver found: ",
           status != cudaSuccess ? cudaGetErrorString(status) : "the driver reports 0 devices");
    if (status != cudaSuccess)
      fail("could not use the CUDA device because cudaGetDeviceCount failed with ", cudaGetErrorName(status), ": ",
           cudaGetErrorString(status));
    cuda::check(cudaSetDevice(0), "select CUDA device 0");
    cuda::check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "create a CUDA stream");
    cuda::check(cudaMalloc(&device_result_, 2 * sizeof(double)), "allocate the CUDA result slot");
    cuda::check(cudaMallocHost(&host_result_, 2 * sizeof(double)), "allocate pinned host memory");
  }
  ~CudaBackend() override {
    // No throwing here: release what we can.
    cudaStreamSynchronize(stream_);
    cudaFree(device_result_);
    cudaFreeHost(host_result_);
    cudaStreamDestroy(stream_);
  }
  const char* name() const override { return "cuda"; }

  void* allocate(size_t bytes) override {
    void* p = nullptr;
    const size_t size = bytes == 0 ? 1 : bytes;
    const cudaError_t status = cudaMalloc(&p, size);
    if (status != cudaSuccess) {
      cudaGetLastError();  // clear the error so later calls are not blamed for it
      fail("could not allocate ", bytes, " bytes of GPU memory because CUDA reported ", cudaGetErrorString(status));
    }
    // Zeroed, as the CPU backends' memory is: models rely on fresh buffers being 0.
    cuda::check(cudaMemsetAsync(p, 0, size, stream_), "zero new GPU memory");
    return p;
  }
  int64_t available_memory() const override {
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) != cudaSuccess) {
      cudaGetLastError();
      return INT64_MAX;  // cannot tell: let cudaMalloc decide
    }
    return static_cast<int64_t>(free_bytes);
  }
  // Called from destructors (DeviceArray::reset): must not throw.
  void release(void* pointer) override {
    if (pointer) cudaFree(pointer);
  }
  // Pageable source: cudaMemcpyAsync has staged it when it returns, so the caller may
  // reuse its buffer at once; the copy stays ordered with the kernels on the stream.
  void to_device(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    cuda::check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_), "copy to the GPU");
  }
  void to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes == 0) return;
    cuda::check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream_), "copy from the GPU");
    cuda::check(cudaStreamSynchronize(stream_), "finish the GPU work before a copy to the host");
  }
  void copy(float* dst, const float* src, int64_t n) override {
    if (dst == src || n <= 0) return;
    cuda::check(cudaMemcpyAsync(dst, src, sizeof(float) * size_t(n), cudaMemcpyDeviceToDevice, stream_),
                "copy on the GPU");
  }
  void fill(float* dst, float value, int64_t n) override { cuda::fill(stream_, dst, value, n); }

  void linear_forward(const float* X, const float* W, const float* b, float* Y, int64_t M, int64_t N, int64_t K,
                      bool relu) override {
    cuda::linear_forward(stream_, gemm_ws_, X, W, b, Y, M, N, K, relu);
  }
  void linear_backward_data(const float* dY, const float* W, float* dX, int64_t M, int64_t N, int64_t K,
                            bool accumulate) override {
    cuda::linear_backward_data(stream_, gemm_ws_, dY, W, dX, M, N, K, accumulate);
  }
  void linear_backward_weights(const float* dY, const float* X, float* dW, float* db, int64_t M, int64_t N,
                               int64_t K) override {
    cuda::linear_backward_weights(stream_, gemm_ws_, dY, X, dW, db, M, N, K);
  }

  void conv_forward(const ConvGeometry& g, const float* x, const float* w, float* y) override {
    cuda::conv_forward(stream_, gemm_ws_, g, x, w, y);
  }
  void conv_backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx,
                          bool accumulate) override {
    cuda::conv_backward_data(stream_, gemm_ws_, g, dy, w, dx, accumulate);
  }
  void conv_backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw) override {
    cuda::conv_backward_weights(stream_, gemm_ws_, g, dy, x, dw);
  }

  void batchnorm_forward(const float* x, float* y, int64_t rows, int64_t C, const float* gamma, const float* beta,
                         float* mean, float* var, float* running_mean, float* running_var, float momentum,
                         bool training, float eps, bool relu) override {
    cuda::batchnorm_forward(stream_, stats_ws_, channel_ws_, x, y, rows, C, gamma, beta, mean, var, running_mean,
                            running_var, momentum, training, eps, relu);
  }
  void batchnorm_backward(const float* x, const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma,
                          const float* mean, const float* var, float* dgamma, float* dbeta, float eps,
                          const float* relu_y) override {
    cuda::batchnorm_backward(stream_, stats_ws_, channel_ws_, x, dy, dx, rows, C, gamma, mean, var, dgamma, dbeta,
                             eps, relu_y);
  }
  void global_avgpool_forward(const float* x, float* y, int64_t N, int64_t spatial, int64_t C) override {
    cuda::global_avgpool_forward(stream_, x, y, N, spatial, C);
  }
  void global_avgpool_backward(const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C) override {
    cuda::global_avgpool_backward(stream_, dy, dx, N, spatial, C);
  }
  void maxpool_forward(const PoolGeometry& g, const float* x, float* y, int32_t* argmax) override {
    cuda::maxpool_forward(stream_, g, x, y, argmax);
  }
  void maxpool_backward(const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx) override {
    cuda::maxpool_backward(stream_, g, dy, argmax, dx);
  }

  void relu_forward(const float* x, float* y, int64_t n) override { cuda::relu_forward(stream_, x, y, n); }
  void relu_backward(const float* Y, float* dY, int64_t n) override { cuda::relu_backward(stream_, Y, dY, n); }
  void add_scaled(const float* x, float a, const float* z, float* out, int64_t n, bool relu) override {
    cuda::add_scaled(stream_, x, a, z, out, n, relu);
  }
  void axpy(float a, const float* x, float* y, int64_t n) override { cuda::add_scaled(stream_, y, a, x, y, n, false); }
  void add_channel_bias(float* y, const float* bias, int64_t rows, int64_t C, bool relu) override {
    cuda::add_channel_bias(stream_, y, bias, rows, C, relu);
  }

  double softmax_cross_entropy(const float* logits, const int32_t* labels, int64_t M, int64_t C, float* dlogits,
                               int64_t* correct) override {
    cuda::softmax_cross_entropy(stream_, reduce_ws_, logits, labels, M, C, dlogits, device_result_);
    fetch_result(2);
    if (correct) *correct = static_cast<int64_t>(std::llround(host_result_[1]));
    return host_result_[0] / double(M);
  }
  double sum_squares(const float* x, int64_t n) override { return dot(x, x, n); }
  double dot(const float* x, const float* y, int64_t n) override {
    cuda::dot(stream_, reduce_ws_, x, y, n, device_result_);
    fetch_result(1);
    return host_result_[0];
  }

  double decayed_sum_squares(const float* g, const float* w, float decay, int64_t n) override {
    if (decay == 0.f) return sum_squares(g, n);
    cuda::decayed_sum_squares(stream_, reduce_ws_, g, w, decay, n, device_result_);
    fetch_result(1);
    return host_result_[0];
  }
  void sgd_momentum(float* w, float* v, const float* g, int64_t n, float lr, float momentum, float grad_scale,
                    float decay) override {
    cuda::sgd_momentum(stream_, w, v, g, n, lr, momentum, grad_scale, decay);
  }

 private:
  void fetch_result(int count) {
    cuda::check(cudaMemcpyAsync(host_result_, device_result_, sizeof(double) * count, cudaMemcpyDeviceToHost, stream_),
                "copy a result from the GPU");
    cuda::check(cudaStreamSynchronize(stream_), "finish the GPU work for a result");
  }

  cudaStream_t stream_ = nullptr;
  double* device_result_ = nullptr;
  double* host_result_ = nullptr;
  cuda::DeviceScratch gemm_ws_, stats_ws_, channel_ws_, reduce_ws_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend() { return std::make_unique<CudaBackend>(); }

}  // namespace layerprune
