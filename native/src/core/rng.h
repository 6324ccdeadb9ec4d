// Deterministic, portable random numbers (xoshiro256** seeded by splitmix64).
// The standard library's distributions differ between implementations; ours do not,
// so the same seed gives the same run on every platform.
#pragma once
#include <cmath>
#include <cstdint>

namespace layerprune {

// The complete state of an Rng, for checkpoints: restoring it continues the exact
// same sequence (normal()'s cached spare included).
struct RngState {
  uint64_t words[4];
  double spare;
  bool has_spare;
};

class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }

  void reseed(uint64_t seed) {
    uint64_t x = seed;
    for (auto& s : state_) s = splitmix64(x);
    has_spare_ = false;
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  RngState state() const {
    RngState out{{state_[0], state_[1], state_[2], state_[3]}, spare_, has_spare_};
    return out;
  }
  void restore(const RngState& s) {
    for (int i = 0; i < 4; ++i) state_[i] = s.words[i];
    spare_ = s.spare;
    has_spare_ = s.has_spare;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return (next_u64() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>(uniform() * static_cast<double>(n)); }

  bool bernoulli(double p) { return uniform() < p; }

  // Standard normal (Box-Muller, polar-free form).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t splitmix64(uint64_t& x) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace layerprune
