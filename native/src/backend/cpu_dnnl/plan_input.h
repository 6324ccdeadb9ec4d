// An input of a planned oneDNN primitive that the caller passes as f32: in an f32 plan the
// primitive reads the caller's buffer directly; in a bf16 plan (mixed precision) a reorder
// converts it, to nearest even, into a bf16 copy the plan owns, and the primitive reads that.
// Planned once with the primitive; binding a buffer allocates nothing.
#pragma once
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "oneapi/dnnl/dnnl.hpp"

namespace layerprune::cpu {

// Error unless oneDNN chose a JIT kernel (`impl`, from impl_info_str) for a bf16 `what`.
void require_fast_bf16(const char* impl, const char* what);

struct PlanInput {
  dnnl::memory used;     // what the primitive reads: the caller's f32 buffer, or the bf16 copy
  dnnl::memory user;     // bf16 plans: the caller's f32 buffer
  dnnl::reorder convert; // bf16 plans: user -> used
  std::vector<uint16_t> storage;

  // `desc` is the f32 layout the caller's buffer has; `bf16` plans convert it to the same
  // layout in bf16, or to `bf16_desc` where the primitive wants another one.
  void plan(const dnnl::memory::desc& desc, const dnnl::engine& engine, bool bf16) {
    plan(desc, bf16 ? with_bf16(desc) : desc, engine);
  }
  void plan(const dnnl::memory::desc& f32_desc, const dnnl::memory::desc& used_desc, const dnnl::engine& engine) {
    if (used_desc.get_data_type() == dnnl::memory::data_type::f32 && used_desc == f32_desc) {
      used = dnnl::memory(f32_desc, engine, DNNL_MEMORY_NONE);
      return;
    }
    storage.assign(used_desc.get_size() / sizeof(uint16_t) + 1, 0);
    used = dnnl::memory(used_desc, engine, storage.data());
    user = dnnl::memory(f32_desc, engine, DNNL_MEMORY_NONE);
    convert = dnnl::reorder(user, used);
  }
  void bind(const float* data, const dnnl::stream& stream) {
    if (!user) {
      used.set_data_handle(const_cast<float*>(data));
      return;
    }
    used.set_data_handle(storage.data());  // it may read another input's copy since the last call
    user.set_data_handle(const_cast<float*>(data));
    convert.execute(stream, user, used);
  }
  // Binds `data`, whose converted copy `converted` already holds (bound last, to the same values):
  // the primitive reads that copy instead of a second conversion. Only for copies of the same
  // bytes: both inputs f32 views of one buffer in the same storage order (checked by size).
  void bind_shared(const float* data, const PlanInput& converted) {
    if (!user) {
      used.set_data_handle(const_cast<float*>(data));
      return;
    }
    require(converted.user && converted.storage.size() == storage.size(),
            "internal error: a shared bf16 input copy of another size");
    used.set_data_handle(const_cast<uint16_t*>(converted.storage.data()));
  }
  // The layout of `desc` with bf16 elements.
  static dnnl::memory::desc with_bf16(const dnnl::memory::desc& desc) {
    return dnnl::memory::desc(desc.get_dims(), dnnl::memory::data_type::bf16, desc.get_strides());
  }
};

}  // namespace layerprune::cpu
