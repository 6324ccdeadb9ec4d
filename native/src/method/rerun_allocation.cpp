#include "method/rerun_allocation.h"

#include <algorithm>

namespace layerprune {

double allocate_reruns(const std::vector<double>& cost, const std::vector<double>& weight, double budget,
                       std::vector<double>& rate, std::vector<char>& fixed) {
  const size_t L = cost.size();
  for (size_t l = 0; l < L; ++l) {
    rate[l] = 0.0;
    fixed[l] = !(weight[l] > 0.0 && cost[l] > 0.0);  // never re-run
  }
  double left = budget;
  for (size_t round = 0; round <= L; ++round) {
    double spend = 0.0;  // sum of w_l cost_l over the sections not fixed
    for (size_t l = 0; l < L; ++l)
      if (!fixed[l]) spend += weight[l] * cost[l];
    if (spend <= 0.0) break;
    const double kappa = std::max(0.0, left) / spend;
    bool changed = false;
    for (size_t l = 0; l < L; ++l) {
      if (fixed[l]) continue;
      if (kappa * weight[l] >= 1.0) {
        fixed[l] = 1, rate[l] = 1.0, left -= cost[l], changed = true;
      } else {
        rate[l] = kappa * weight[l];
      }
    }
    if (!changed) break;
  }
  double expected = 0.0;
  for (size_t l = 0; l < L; ++l) expected += rate[l] * cost[l];
  return expected;
}

}  // namespace layerprune
