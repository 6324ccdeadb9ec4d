// The machine's FP32 FMA peak, measured in the benchmark binary itself (issue 15 item 3), so every
// step's GFLOP/s can be read as a fraction of what these cores can do: each thread runs 24
// independent chains of vector FMAs (acc = acc * m + a: more chains than FMA latency x FMA ports on
// current cores, so the units never wait), 2 FLOPs per lane per FMA. The widest vectors the CPU
// runs: AVX-512 (16 lanes) or AVX2 + FMA (8) on x86-64, checked at run time; NEON (4) on AArch64.
#pragma once
#include <omp.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include <chrono>
#include <cstdint>
#include <cstring>

namespace layerprune::bench {

constexpr int kFmaChains = 24;

// One chain step per vector: acc = acc * m + a, one fused instruction (intrinsics: ISO C++ modes
// would not contract a * b + c). A macro, not a template: a template's instantiation would not get
// its caller's target("avx512f") and would run the loop without those instructions.
#define LAYERPRUNE_FMA_CHAINS(V, SET1, FMA, STORE)                                   \
  V acc[kFmaChains];                                                                   \
  const V m = SET1(0.999999f), a = SET1(1e-7f);                                        \
  for (int c = 0; c < kFmaChains; ++c) acc[c] = a;                                     \
  for (int64_t i = 0; i < iterations; ++i) {                                           \
    _Pragma("GCC unroll 24") for (int c = 0; c < kFmaChains; ++c) acc[c] = FMA(acc[c], m, a); \
  }                                                                                    \
  float lanes[sizeof(V) / sizeof(float)];                                              \
  float s = 0;                                                                         \
  for (int c = 0; c < kFmaChains; ++c) {                                               \
    STORE(lanes, acc[c]);                                                              \
    for (float v : lanes) s += v;                                                      \
  }                                                                                    \
  *sink = s;                                                                           \
  return 2.0 * double(sizeof(V) / sizeof(float)) * kFmaChains * double(iterations)

#if defined(__x86_64__)
__attribute__((target("avx512f"))) inline double fma_avx512(int64_t iterations, float* sink) {
  LAYERPRUNE_FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_storeu_ps);
}
__attribute__((target("avx2,fma"))) inline double fma_avx2(int64_t iterations, float* sink) {
  LAYERPRUNE_FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_storeu_ps);
}
#elif defined(__aarch64__)
inline float32x4_t neon_fma(float32x4_t acc, float32x4_t m, float32x4_t a) { return vfmaq_f32(a, acc, m); }
inline double fma_neon(int64_t iterations, float* sink) {
  LAYERPRUNE_FMA_CHAINS(float32x4_t, vdupq_n_f32, neon_fma, vst1q_f32);
}
#endif
#undef LAYERPRUNE_FMA_CHAINS

// One thread's FMAs: the widest vectors this CPU has.
inline double fma_thread(int64_t iterations, float* sink) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return fma_avx512(iterations, sink);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return fma_avx2(iterations, sink);
  return 0;  // an x86-64 without FMA: no peak to compare with
#elif defined(__aarch64__)
  return fma_neon(iterations, sink);
#else
  (void)iterations, (void)sink;
  return 0;
#endif
}

// GFLOP/s of all OpenMP threads running `thread_flops(iterations, sink)` at once (it returns the
// FLOPs it did), best of three runs.
template <typename ThreadFlops>
double measure_peak_gflops(ThreadFlops thread_flops, int64_t iterations) {
  double best = 0;
  for (int run = 0; run < 3; ++run) {
    double flops = 0;
    float sinks[256] = {0};
    const auto t0 = std::chrono::steady_clock::now();
#pragma omp parallel reduction(+ : flops)
    flops += thread_flops(iterations, &sinks[omp_get_thread_num() % 256]);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (flops / s > best) best = flops / s;
  }
  return best / 1e9;
}

// GFLOP/s of all OpenMP threads running FMA chains at once, best of three runs of ~0.1 s each.
inline double measure_fma_peak_gflops(int64_t iterations = 2000000) {
  return measure_peak_gflops(fma_thread, iterations);
}

// The bf16 dot-product peak (AVX512-BF16's VDPBF16PS: per f32 lane, acc += a0 b0 + a1 b1 over
// bf16 pairs, 4 FLOPs per lane per instruction, 64 per 512-bit instruction; twice the f32 FMA's
// 32), the ceiling of bf16 matrix products on CPUs without AMX. Same chains as the FMA probe.
// 0 on a CPU without AVX512-BF16 (AMX tiles are not probed: their peak is another instruction).
#if defined(__x86_64__)
__attribute__((target("avx512f,avx512bf16"))) inline double bf16_dot_avx512(int64_t iterations, float* sink) {
  __m512 acc[kFmaChains];
  const __m512bh m = (__m512bh)_mm512_set1_epi16(0x3f80), a = (__m512bh)_mm512_set1_epi16(0x3380);  // 1, ~6e-8
  for (int c = 0; c < kFmaChains; ++c) acc[c] = _mm512_set1_ps(1e-7f);
  for (int64_t i = 0; i < iterations; ++i) {
    _Pragma("GCC unroll 24") for (int c = 0; c < kFmaChains; ++c) acc[c] = _mm512_dpbf16_ps(acc[c], m, a);
  }
  float lanes[16];
  float s = 0;
  for (int c = 0; c < kFmaChains; ++c) {
    _mm512_storeu_ps(lanes, acc[c]);
    for (float v : lanes) s += v;
  }
  *sink = s;
  return 4.0 * 16 * kFmaChains * double(iterations);
}
#endif

inline double bf16_dot_thread(int64_t iterations, float* sink) {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512bf16")) return bf16_dot_avx512(iterations, sink);
#endif
  (void)iterations, (void)sink;
  return 0;
}

// GFLOP/s of all OpenMP threads running bf16 dot-product chains, best of three (0 without AVX512-BF16).
inline double measure_bf16_dot_peak_gflops(int64_t iterations = 2000000) {
  return measure_peak_gflops(bf16_dot_thread, iterations);
}

}  // namespace layerprune::bench
