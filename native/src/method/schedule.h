// Learning-rate schedules for eta_W (ALGORITHM.md section 4).
#pragma once
#include <cmath>
#include <cstdint>

#include "layerprune/types.h"

namespace layerprune {

struct LrSchedule {
  int32_t kind = SCHEDULE_COSINE;
  double base = 0.02;
  int64_t total_steps = 1;
  int64_t step_every = 1;
  double step_gamma = 0.1;

  // Learning rate for step t (0-based).
  double at(int64_t t) const {
    switch (kind) {
      case SCHEDULE_CONSTANT:
        return base;
      case SCHEDULE_STEP:
        return base * std::pow(step_gamma, double(t / (step_every > 0 ? step_every : 1)));
      default: {  // cosine from base to 0 over total_steps
        const double progress = total_steps > 0 ? std::fmin(1.0, double(t) / double(total_steps)) : 1.0;
        return base * 0.5 * (1.0 + std::cos(M_PI * progress));
      }
    }
  }
};

}  // namespace layerprune
