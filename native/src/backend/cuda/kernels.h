// Host-side launchers of the CUDA kernels, one group per file (gemm.cu, conv.cu,
// batchnorm.cu, pooling.cu, elementwise.cu, reductions.cu). All work is queued on the
// given stream; none of them synchronises. Pointers are device pointers.
#pragma once
#include <cstdint>

#include <cuda_runtime.h>

#include "backend/backend.h"
#include "backend/cuda/device_scratch.h"

namespace layerprune::cuda {

// gemm.cu: the dense layers (shapes as in backend.h).
void linear_forward(cudaStream_t s, DeviceScratch& ws, const float* X, const float* W, const float* b, float* Y,
                    int64_t M, int64_t N, int64_t K, bool relu);
void linear_backward_data(cudaStream_t s, DeviceScratch& ws, const float* dY, const float* W, float* dX, int64_t M,
                          int64_t N, int64_t K, bool accumulate);
void linear_backward_weights(cudaStream_t s, DeviceScratch& ws, const float* dY, const float* X, float* dW,
                             float* db, int64_t M, int64_t N, int64_t K);
// A plain row-major C (M,N) = A (M,K) B (K,N), for the GEMM benchmark.
void gemm_nn(cudaStream_t s, DeviceScratch& ws, const float* A, const float* B, float* C, int64_t M, int64_t N,
             int64_t K);

// conv.cu: implicit-GEMM convolutions, NHWC activations, (K,C,R,S) weights.
void conv_forward(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& g, const float* x, const float* w, float* y);
void conv_backward_data(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& g, const float* dy, const float* w,
                        float* dx, bool accumulate);
void conv_backward_weights(cudaStream_t s, DeviceScratch& ws, const ConvGeometry& g, const float* dy, const float* x,
                           float* dw);

// batchnorm.cu. `partials` holds per-chunk double sums, `channel` 3*C floats. relu / relu_y:
// the ReLU after batch norm fused into its passes (Backend::batchnorm_forward/backward).
void batchnorm_forward(cudaStream_t s, DeviceScratch& partials, DeviceScratch& channel, const float* x, float* y,
                       int64_t rows, int64_t C, const float* gamma, const float* beta, float* mean, float* var,
                       float* running_mean, float* running_var, float momentum, bool training, float eps, bool relu);
void batchnorm_backward(cudaStream_t s, DeviceScratch& partials, DeviceScratch& channel, const float* x,
                        const float* dy, float* dx, int64_t rows, int64_t C, const float* gamma, const float* mean,
                        const float* var, float* dgamma, float* dbeta, float eps, const float* relu_y);

// pooling.cu
void global_avgpool_forward(cudaStream_t s, const float* x, float* y, int64_t N, int64_t spatial, int64_t C);
void global_avgpool_backward(cudaStream_t s, const float* dy, float* dx, int64_t N, int64_t spatial, int64_t C);
void maxpool_forward(cudaStream_t s, const PoolGeometry& g, const float* x, float* y, int32_t* argmax);
void maxpool_backward(cudaStream_t s, const PoolGeometry& g, const float* dy, const int32_t* argmax, float* dx);

// elementwise.cu
void fill(cudaStream_t s, float* dst, float value, int64_t n);
void relu_forward(cudaStream_t s, const float* x, float* y, int64_t n);
void relu_backward(cudaStream_t s, const float* Y, float* dY, int64_t n);
void add_scaled(cudaStream_t s, const float* x, float a, const float* z, float* out, int64_t n, bool relu);
// y (rows, C) += bias per channel, then ReLU if `relu` (export: folded batch norms).
void add_channel_bias(cudaStream_t s, float* y, const float* bias, int64_t rows, int64_t C, bool relu);
void sgd_momentum(cudaStream_t s, float* w, float* v, const float* g, int64_t n, float lr, float momentum,
                  float grad_scale, float decay);

// reductions.cu: results land in device memory (`out`), to be copied once to the host.
// sum_squares/dot: out[0] = the double sum. softmax: out[0] = total loss (double),
// out[1] = correct count (as a double, exact below 2^53).
void dot(cudaStream_t s, DeviceScratch& partials, const float* x, const float* y, int64_t n, double* out);
// out[0] = sum (g + decay w)^2.
void decayed_sum_squares(cudaStream_t s, DeviceScratch& partials, const float* g, const float* w, float decay,
                         int64_t n, double* out);
void softmax_cross_entropy(cudaStream_t s, DeviceScratch& partials, const float* logits, const int32_t* labels,
                           int64_t M, int64_t C, float* dlogits, double* out);

}  // namespace layerprune::cuda
