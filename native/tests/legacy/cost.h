// The one place that computes FLOPs and parameter counts from an architecture; used
// by the trainer's accounting, the reports, the benchmarks and the tests alike.
// FLOPs count 2 per multiply-add of the matrix products (biases and activations are
// not counted); a training step counts the forward once and the backward twice.
#pragma once
#include <cstdint>
#include <vector>

#include "legacy/architecture.h"
#include "legacy/conv_architecture.h"

namespace layerprune::legacy::cost {

double linear_flops(int64_t in, int64_t out);
int64_t section_weights(const MlpArchitecture& a, int32_t l);     // n_l: W1 and W2 entries
int64_t section_body_params(const MlpArchitecture& a, int32_t l); // W1, b1, W2, b2
int64_t section_skip_params(const MlpArchitecture& a, int32_t l); // projection or 0
double section_body_flops(const MlpArchitecture& a, int32_t l);
double section_skip_flops(const MlpArchitecture& a, int32_t l);
double stem_flops(const MlpArchitecture& a);
double head_flops(const MlpArchitecture& a);

// Parameters of the network whose sections with live[l] == false are removed.
int64_t params(const MlpArchitecture& a, const std::vector<bool>& live);

// Forward FLOPs per sample of sections first..L-1 and the head, each section body
// weighted by gate[l] (0 = skipped or pruned, 1 = runs, theta = expected cost).
// first == 0 adds the stem too.
double forward_flops(const MlpArchitecture& a, const std::vector<float>& gate, int32_t first = 0);

// Convolutional networks (per sample; conv FLOPs = 2 K C R S P Q).
double conv_flops(const ConvGeometry& g);  // g.N ignored
int64_t section_weights(const ConvNetArchitecture& a, int32_t l);      // conv1 + conv2 filters
int64_t section_body_params(const ConvNetArchitecture& a, int32_t l);  // + BN gamma, beta
int64_t section_skip_params(const ConvNetArchitecture& a, int32_t l);  // 1x1 projection or 0
double section_body_flops(const ConvNetArchitecture& a, int32_t l);
double section_skip_flops(const ConvNetArchitecture& a, int32_t l);
double transition_flops(const ConvOp& transition);  // ungated channel change (VGG, LeNet)
double stem_flops(const ConvNetArchitecture& a);
int64_t params(const ConvNetArchitecture& a, const std::vector<bool>& live);
double forward_flops(const ConvNetArchitecture& a, const std::vector<float>& gate, int32_t first = 0);

inline double training_step_flops(double forward_flops_per_sample, int64_t batch) {
  return 3.0 * forward_flops_per_sample * static_cast<double>(batch);
}

}  // namespace layerprune::legacy::cost
