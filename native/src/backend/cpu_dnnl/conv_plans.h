// oneDNN convolution primitives for one geometry and precision, planned once: forward,
// backward data and backward weights each in the weight layout oneDNN prefers for it
// (measured: blocked layouts reach 400-540 GFLOP/s here, plain (K,C,R,S) falls back
// to the reference kernel at ~1 GFLOP/s), with reorders from and to the plain master
// weights. Filters are small (at most 64*64*9 floats in the presets), so reordering
// them per call costs microseconds against milliseconds of convolution. A bf16 plan also
// converts the activations and output gradients it reads to bf16 copies (plan_input.h);
// outputs and weight gradients stay f32.
#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu_dnnl/plan_input.h"
#include "core/lru_cache.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace layerprune::cpu {

struct ConvKey {
  ConvGeometry g;
  bool bf16 = false;
  bool operator==(const ConvKey& o) const { return g == o.g && bf16 == o.bf16; }
};

struct ConvKeyHash {
  size_t operator()(const ConvKey& k) const {
    size_t h = 0;
    for (int64_t v : {k.g.N, k.g.C, k.g.H, k.g.W, k.g.K, k.g.R, k.g.S, k.g.stride, k.g.pad})
      h = h * 1000003u ^ std::hash<int64_t>()(v);
    return h * 2u + size_t(k.bf16);
  }
};

struct ConvPlan {
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  dnnl::reorder backward_weights_to_plain;
  // Inputs from the caller's f32 buffers: the activations (forward and backward weights),
  // the output gradient (both backward passes) and the plain weights, reordered into the
  // forward's and the backward-data's private layouts.
  PlanInput src, diff_dst, weights_forward, weights_backward_data;
  // Outputs (handles set per call) and the private weight-gradient layout (owned here).
  dnnl::memory dst, diff_src, diff_weights_plain, diff_weights_blocked;
  std::vector<float> diff_weights_storage;
  std::vector<float> accumulate_scratch;  // (N,H,W,C) for dx += ...
  dnnl::memory scratch_diff_src;
  std::unordered_map<int, dnnl::memory> forward_args, backward_data_args, backward_weights_args,
      scratch_backward_data_args;
};

class ConvPlans {
 public:
  ConvPlans();
  void forward(const ConvKey& k, const float* x, const float* w, float* y);
  // Into dx, or into a scratch copy when `into_scratch` (the caller adds it).
  const float* backward_data(const ConvKey& k, const float* dy, const float* w, float* dx, bool into_scratch);
  void backward_weights(const ConvKey& k, const float* dy, const float* x, float* dw);
  // Both backward passes of one dy (weights, then data as backward_data), dy bound (in bf16:
  // converted) once for both.
  const float* backward(const ConvKey& k, const float* dy, const float* x, const float* w, float* dw, float* dx,
                        bool into_scratch);
  size_t plan_count() const { return plans_.size(); }
  size_t evictions() const { return plans_.evictions(); }
  // Geometries kept at most (each holds its reordered weight copies and a scratch buffer).
  static constexpr size_t kCapacity = 128;

 private:
  ConvPlan& plan(const ConvKey& k);
  // The passes with p.diff_dst bound already.
  const float* run_backward_data(ConvPlan& p, const float* w, float* dx, bool into_scratch);
  void run_backward_weights(ConvPlan& p, const float* x, float* dw);
  std::unique_ptr<ConvPlan> make_plan(const ConvKey& k);
  dnnl::engine engine_;
  dnnl::stream stream_;
  LruCache<ConvKey, ConvPlan, ConvKeyHash> plans_{kCapacity};
};

}  // namespace layerprune::cpu
