// The shape of a residual MLP, independent of any weights or device.
#pragma once
#include <cstdint>
#include <vector>

namespace layerprune::legacy {

struct MlpArchitecture {
  int64_t input = 0;                    // features per sample
  int64_t stem_width = 0;               // stem: input -> stem_width, ReLU
  std::vector<int64_t> section_widths;  // section l maps width(l-1) -> section_widths[l]
  int32_t classes = 0;                  // head: last width -> classes

  int32_t sections() const { return static_cast<int32_t>(section_widths.size()); }
  int64_t section_in(int32_t l) const { return l == 0 ? stem_width : section_widths[l - 1]; }
  int64_t section_out(int32_t l) const { return section_widths[l]; }
  bool has_projection(int32_t l) const { return section_in(l) != section_out(l); }
  int64_t last_width() const { return section_widths.empty() ? stem_width : section_widths.back(); }
  int64_t max_width() const;

  // Throws Error naming the offending field.
  void validate() const;
};

}  // namespace layerprune::legacy
