#include "legacy/cost.h"

#include <algorithm>

#include "core/error.h"
#include "core/memory_check.h"

namespace layerprune::legacy {

int64_t MlpArchitecture::max_width() const {
  int64_t w = std::max(stem_width, static_cast<int64_t>(classes));
  for (int64_t s : section_widths) w = std::max(w, s);
  return w;
}

void MlpArchitecture::validate() const {
  require(input > 0, "could not build the model because input_size must be > 0, got ", input);
  require(stem_width > 0, "could not build the model because width must be > 0, got ", stem_width);
  require(classes >= 2, "could not build the model because classes must be >= 2, got ", classes);
  for (size_t l = 0; l < section_widths.size(); ++l)
    require(section_widths[l] > 0, "could not build the model because section ", l,
            " has width ", section_widths[l], " (must be > 0)");
  require(input <= (int64_t(1) << 24) && max_width() <= (int64_t(1) << 16) && sections() <= (1 << 16),
          "could not build the model because its sizes are unreasonably large (input ", input,
          ", widest layer ", max_width(), ", ", sections(), " sections)");
  // Weights, gradients and momentum: 3 floats per parameter.
  require_memory(12.0 * double(cost::params(*this, std::vector<bool>(section_widths.size(), true))),
                 "build the model");
}

namespace cost {

double linear_flops(int64_t in, int64_t out) { return 2.0 * double(in) * double(out); }

int64_t section_weights(const MlpArchitecture& a, int32_t l) {
  const int64_t in = a.section_in(l), out = a.section_out(l);
  return in * out + out * out;
}
int64_t section_body_params(const MlpArchitecture& a, int32_t l) {
  return section_weights(a, l) + 2 * a.section_out(l);
}
int64_t section_skip_params(const MlpArchitecture& a, int32_t l) {
  return a.has_projection(l) ? a.section_in(l) * a.section_out(l) : 0;
}
double section_body_flops(const MlpArchitecture& a, int32_t l) {
  return linear_flops(a.section_in(l), a.section_out(l)) +
         linear_flops(a.section_out(l), a.section_out(l));
}
double section_skip_flops(const MlpArchitecture& a, int32_t l) {
  return a.has_projection(l) ? linear_flops(a.section_in(l), a.section_out(l)) : 0.0;
}
double stem_flops(const MlpArchitecture& a) { return linear_flops(a.input, a.stem_width); }
double head_flops(const MlpArchitecture& a) { return linear_flops(a.last_width(), a.classes); }

int64_t params(const MlpArchitecture& a, const std::vector<bool>& live) {
  int64_t total = a.input * a.stem_width + a.stem_width;        // stem
  total += a.last_width() * a.classes + a.classes;              // head
  for (int32_t l = 0; l < a.sections(); ++l) {
    total += section_skip_params(a, l);
    if (live[l]) total += section_body_params(a, l);
  }
  return total;
}

double forward_flops(const MlpArchitecture& a, const std::vector<float>& gate, int32_t first) {
  double total = first == 0 ? stem_flops(a) : 0.0;
  for (int32_t l = first; l < a.sections(); ++l)
    total += section_skip_flops(a, l) + double(gate[l]) * section_body_flops(a, l);
  return total + head_flops(a);
}

double conv_flops(const ConvGeometry& g) {
  return 2.0 * double(g.K) * double(g.C) * double(g.R * g.S) * double(g.P() * g.Q());
}

namespace {
ConvNetArchitecture::SectionDims dims_of(const ConvNetArchitecture& a, int32_t l) { return a.section_dims()[l]; }
}  // namespace

int64_t section_weights(const ConvNetArchitecture& a, int32_t l) {
  const auto d = dims_of(a, l);
  const int64_t kk = d.kernel * d.kernel;
  return d.out_c * d.in_c * kk + (d.plain ? 0 : d.out_c * d.out_c * kk);
}
int64_t section_body_params(const ConvNetArchitecture& a, int32_t l) {
  return section_weights(a, l) + 2 * dims_of(a, l).out_c;
}
int64_t section_skip_params(const ConvNetArchitecture& a, int32_t l) {
  const auto d = dims_of(a, l);
  return d.projection() ? d.out_c * d.in_c : 0;
}
double section_body_flops(const ConvNetArchitecture& a, int32_t l) {
  const auto d = dims_of(a, l);
  const double first = conv_flops(conv_square(1, d.in_c, d.in_h, d.in_w, d.out_c, d.kernel, d.stride, d.pad));
  return d.plain ? first : first + conv_flops(conv_square(1, d.out_c, d.out_h, d.out_w, d.out_c, d.kernel, 1, d.pad));
}
double section_skip_flops(const ConvNetArchitecture& a, int32_t l) {
  const auto d = dims_of(a, l);
  return d.projection() ? conv_flops(conv1x1(1, d.in_c, d.in_h, d.in_w, d.out_c, d.stride)) : 0.0;
}
double transition_flops(const ConvOp& t) {
  return conv_flops(conv_square(1, t.in_c, t.in_h, t.in_w, t.out_c, t.kernel, 1, t.pad));
}
double stem_flops(const ConvNetArchitecture& a) {
  return conv_flops(conv_square(1, a.in_channels, a.height, a.width, a.stem_channels, a.stem_kernel, 1,
                                a.stem_kernel / 2));
}

int64_t params(const ConvNetArchitecture& a, const std::vector<bool>& live) {
  int64_t total = a.stem_channels * a.in_channels * a.stem_kernel * a.stem_kernel + 2 * a.stem_channels;
  int64_t last = a.stem_channels;
  for (const ConvOp& op : a.plan()) {
    if (op.kind == ConvOp::kTransition) total += op.out_c * op.in_c * op.kernel * op.kernel + 2 * op.out_c;
    if (op.kind == ConvOp::kSection) {
      total += section_skip_params(a, op.index);
      if (live[op.index]) total += section_body_params(a, op.index);
    }
    last = op.out_c;
  }
  return total + last * a.classes + a.classes;  // head
}
double forward_flops(const ConvNetArchitecture& a, const std::vector<float>& gate, int32_t first) {
  double total = first == 0 ? stem_flops(a) : 0.0;
  bool started = first == 0;
  int64_t last = a.stem_channels;
  for (const ConvOp& op : a.plan()) {
    if (op.kind == ConvOp::kSection && op.index == first) started = true;
    last = op.out_c;
    if (!started) continue;
    if (op.kind == ConvOp::kTransition) total += transition_flops(op);
    if (op.kind == ConvOp::kSection)
      total += section_skip_flops(a, op.index) + double(gate[op.index]) * section_body_flops(a, op.index);
  }
  return total + linear_flops(last, a.classes);
}

}  // namespace cost
}  // namespace layerprune::legacy
