// oneDNN convolution primitives for one geometry, planned once: forward, backward
// data and backward weights each in the weight layout oneDNN prefers for it
// (measured: blocked layouts reach 400-540 GFLOP/s here, plain (K,C,R,S) falls back
// to the reference kernel at ~1 GFLOP/s), with reorders from and to the plain master
// weights. Filters are small (at most 64*64*9 floats in the presets), so reordering
// them per call costs microseconds against milliseconds of convolution.
#pragma once
#include <memory>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "core/lru_cache.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace layerprune::cpu {

struct ConvGeometryHash {
  size_t operator()(const ConvGeometry& g) const {
    size_t h = 0;
    for (int64_t v : {g.N, g.C, g.H, g.W, g.K, g.R, g.S, g.stride, g.pad}) h = h * 1000003u ^ std::hash<int64_t>()(v);
    return h;
  }
};

struct ConvPlan {
  dnnl::convolution_forward forward;
  dnnl::convolution_backward_data backward_data;
  dnnl::convolution_backward_weights backward_weights;
  dnnl::reorder plain_to_forward, plain_to_backward_data, backward_weights_to_plain;
  // User memories (handles set per call) and private weight copies (owned here).
  dnnl::memory src, dst, weights_plain, diff_src, diff_dst, diff_weights_plain;
  dnnl::memory weights_forward, weights_backward_data, diff_weights_blocked;
  std::vector<float> weights_forward_storage, weights_backward_data_storage, diff_weights_storage;
  std::vector<float> accumulate_scratch;  // (N,H,W,C) for dx += ...
  dnnl::memory scratch_diff_src;
  std::unordered_map<int, dnnl::memory> forward_args, backward_data_args, backward_weights_args,
      scratch_backward_data_args;
};

class ConvPlans {
 public:
  ConvPlans();
  void forward(const ConvGeometry& g, const float* x, const float* w, float* y);
  // Into dx, or into a scratch copy when `into_scratch` (the caller adds it).
  const float* backward_data(const ConvGeometry& g, const float* dy, const float* w, float* dx, bool into_scratch);
  void backward_weights(const ConvGeometry& g, const float* dy, const float* x, float* dw);
  size_t plan_count() const { return plans_.size(); }
  size_t evictions() const { return plans_.evictions(); }
  // Geometries kept at most (each holds its reordered weight copies and a scratch buffer).
  static constexpr size_t kCapacity = 128;

 private:
  ConvPlan& plan(const ConvGeometry& g);
  std::unique_ptr<ConvPlan> make_plan(const ConvGeometry& g);
  dnnl::engine engine_;
  dnnl::stream stream_;
  LruCache<ConvGeometry, ConvPlan, ConvGeometryHash> plans_{kCapacity};
};

}  // namespace layerprune::cpu
