// How often the budgeted estimator re-runs each section (method/budgeted_estimator.cpp):
// p_l = min(1, kappa * weight_l), with kappa chosen so that the expected cost
// sum_l p_l cost_l equals `budget` (or every p_l = 1 when even that costs less). Sections
// whose p reaches 1 are fixed there and the others share what is left (water-filling).
// Sections with weight or cost <= 0 get p = 0. No allocation: `fixed` is caller scratch.
#pragma once
#include <cstdint>
#include <vector>

namespace layerprune {

// Writes rate[l] for l < cost.size() and returns the expected cost sum_l rate_l cost_l.
double allocate_reruns(const std::vector<double>& cost, const std::vector<double>& weight, double budget,
                       std::vector<double>& rate, std::vector<char>& fixed);

}  // namespace layerprune
