#include "model/architecture.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "core/memory_check.h"
#include "model/cost.h"

namespace layerprune {

namespace {

// Limits that keep every product below int64 and every buffer index below int32 where the
// backends use one (max pooling's argmax).
constexpr int64_t kMaxValue = int64_t(1) << 26;     // floats of one sample's value
constexpr int64_t kMaxWidth = int64_t(1) << 16;     // widths, channels, classes
constexpr int64_t kMaxSide = int64_t(1) << 16;      // image height, width
constexpr int64_t kMaxKernel = 15, kMaxStride = 8;
constexpr int32_t kMaxSections = 1 << 16;

template <typename... Parts>
[[noreturn]] void bad(const std::string& field, const Parts&... parts) {
  fail("could not build the network because ", field, " ", parts...);
}

void check_width(const std::string& field, int64_t v) {
  if (v <= 0) bad(field, "must be > 0, got ", v);
  if (v > kMaxWidth) bad(field, v, " is unreasonably large (at most ", kMaxWidth, ")");
}

void check_value(const std::string& field, const Shape& s) {
  if (s.c <= 0 || s.h <= 0 || s.w <= 0) bad(field, "is empty (", s.c, "x", s.h, "x", s.w, ")");
  if (s.c > kMaxValue || s.h > kMaxSide || s.w > kMaxSide || s.size() > kMaxValue)
    bad(field, "makes a value of ", s.c, "x", s.h, "x", s.w, " floats per sample, which is unreasonably large");
}

int64_t conv_out(int64_t in, int64_t kernel, int64_t stride, int64_t pad) { return (in + 2 * pad - kernel) / stride + 1; }

// A conv or dense LayerPlan from a spec on input `in`, with its fields checked.
LayerPlan layer_plan(const std::string& field, const LayerSpec& s, const Shape& in) {
  LayerPlan p;
  p.kind = s.kind;
  p.in = in;
  p.relu = s.relu;
  if (s.kind == LayerKind::kDense) {
    check_width(field + ".width", s.out);
    if (s.batchnorm) bad(field + ".batchnorm", "must be false: dense layers carry a bias, not a batch norm");
    p.bias = true;
    p.out = {s.out, 1, 1};
    return p;
  }
  if (s.kind != LayerKind::kConv) bad(field + ".kind", "is unknown (", int32_t(s.kind), ")");
  check_width(field + ".channels", s.out);
  if (s.kernel < 1 || s.kernel > kMaxKernel) bad(field + ".kernel", "must be in [1, ", kMaxKernel, "], got ", s.kernel);
  if (s.stride < 1 || s.stride > kMaxStride) bad(field + ".stride", "must be in [1, ", kMaxStride, "], got ", s.stride);
  const int64_t pad = s.padding();
  if (pad >= s.kernel || pad < 0) bad(field + ".pad", "must be in [0, kernel) = [0, ", s.kernel, "), got ", s.pad);
  if (in.h + 2 * pad < s.kernel || in.w + 2 * pad < s.kernel)
    bad(field, "(a ", s.kernel, "x", s.kernel, " conv, pad ", pad, ") does not fit its ", in.str(), " input");
  p.kernel = s.kernel, p.stride = s.stride, p.pad = pad;
  p.batchnorm = s.batchnorm;
  p.out = {s.out, conv_out(in.h, s.kernel, s.stride, pad), conv_out(in.w, s.kernel, s.stride, pad)};
  check_value(field, p.out);
  return p;
}

LayerPlan conv_plan(const Shape& in, int64_t out_c, int64_t kernel, int64_t stride, bool bn, bool relu) {
  LayerPlan p;
  p.kind = LayerKind::kConv;
  p.in = in;
  p.kernel = kernel, p.stride = stride, p.pad = kernel / 2;
  p.batchnorm = bn, p.relu = relu;
  p.out = {out_c, conv_out(in.h, kernel, stride, p.pad), conv_out(in.w, kernel, stride, p.pad)};
  return p;
}

LayerPlan dense_plan(const Shape& in, int64_t out, bool bias, bool relu) {
  LayerPlan p;
  p.kind = LayerKind::kDense;
  p.in = in;
  p.out = {out, 1, 1};
  p.bias = bias, p.relu = relu;
  return p;
}

Shape pooled(const std::string& field, const PoolSpec& s, const Shape& in) {
  if (s.kernel < 1 || s.kernel > kMaxKernel) bad(field + ".kernel", "must be in [1, ", kMaxKernel, "], got ", s.kernel);
  if (s.stride < 1 || s.stride > kMaxStride) bad(field + ".stride", "must be in [1, ", kMaxStride, "], got ", s.stride);
  if (s.pad < 0 || 2 * s.pad > s.kernel) bad(field + ".pad", "must be in [0, kernel / 2], got ", s.pad);
  const Shape out{in.c, PoolGeometry::out_size(in.h, s.kernel, s.stride, s.pad, s.ceil),
                  PoolGeometry::out_size(in.w, s.kernel, s.stride, s.pad, s.ceil)};
  if (out.h < 1 || out.w < 1)
    bad(field, "(", s.kernel, "x", s.kernel, " max pool, ", s.ceil ? "ceil" : "floor", " mode) does not fit its ",
        in.str(), " input");
  return out;
}

}  // namespace

const char* family_name(Family f) {
  switch (f) {
    case Family::kMlp: return "mlp";
    case Family::kResNet: return "resnet";
    case Family::kVgg: return "vgg";
    case Family::kLeNet: return "lenet";
  }
  return "unknown";
}

const char* section_kind_name(SectionKind k) {
  switch (k) {
    case SectionKind::kDense: return "dense";
    case SectionKind::kBasic: return "basic";
    case SectionKind::kBottleneck: return "bottleneck";
    case SectionKind::kPlain: return "plain";
  }
  return "unknown";
}

std::string Shape::str() const { return std::to_string(c) + "x" + std::to_string(h) + "x" + std::to_string(w); }

bool LayerSpec::operator==(const LayerSpec& o) const {
  if (kind != o.kind || out != o.out || relu != o.relu || batchnorm != o.batchnorm) return false;
  return kind == LayerKind::kDense || (kernel == o.kernel && stride == o.stride && padding() == o.padding());
}

bool PoolSpec::operator==(const PoolSpec& o) const {
  if (present() != o.present()) return false;
  return !present() || (kernel == o.kernel && stride == o.stride && pad == o.pad && ceil == o.ceil);
}

bool StageSpec::operator==(const StageSpec& o) const {
  if (has_transition != o.has_transition || (has_transition && !(transition == o.transition))) return false;
  const bool conv = kind != SectionKind::kDense;
  return kind == o.kind && widths == o.widths && (!conv || (stride == o.stride && kernel == o.kernel)) &&
         (kind != SectionKind::kBottleneck || expansion == o.expansion) && skip == o.skip &&
         relu_after == o.relu_after && pool == o.pool && flatten == o.flatten;
}

bool Architecture::operator==(const Architecture& o) const {
  return name == o.name && input == o.input && image == o.image && stem == o.stem && stem_pool == o.stem_pool && stages == o.stages &&
         classes == o.classes && family == o.family;
}

LayerSpec dense_layer(int64_t width, bool relu) {
  LayerSpec s;
  s.kind = LayerKind::kDense;
  s.out = width;
  s.relu = relu;
  return s;
}

LayerSpec conv_layer(int64_t channels, int64_t kernel, int64_t stride, int64_t pad, bool batchnorm, bool relu) {
  LayerSpec s;
  s.kind = LayerKind::kConv;
  s.out = channels;
  s.kernel = kernel, s.stride = stride, s.pad = pad;
  s.batchnorm = batchnorm, s.relu = relu;
  return s;
}

PoolSpec max_pool(int64_t kernel, int64_t stride, int64_t pad, bool ceil) {
  PoolSpec p;
  p.kernel = kernel, p.stride = stride, p.pad = pad, p.ceil = ceil;
  return p;
}

int32_t Architecture::sections() const {
  int64_t n = 0;
  for (const StageSpec& s : stages) n += static_cast<int64_t>(s.widths.size());
  return static_cast<int32_t>(std::min<int64_t>(n, INT32_MAX));
}

Family derived_family(const Architecture& a) {
  Family f = Family::kMlp;
  for (const StageSpec& s : a.stages) {
    if (s.widths.empty()) continue;
    if (s.kind == SectionKind::kBasic || s.kind == SectionKind::kBottleneck) return Family::kResNet;
    if (s.kind == SectionKind::kPlain) f = Family::kVgg;
  }
  return f;
}

ConvGeometry LayerPlan::geometry(int64_t N) const {
  ConvGeometry g;
  g.N = N, g.C = in.c, g.H = in.h, g.W = in.w, g.K = out.c, g.R = kernel, g.S = kernel, g.stride = stride, g.pad = pad;
  return g;
}

PoolGeometry PlanOp::pool_geometry(int64_t N) const {
  PoolGeometry g;
  g.N = N, g.C = in.c, g.H = in.h, g.W = in.w;
  g.kernel = pool.kernel, g.stride = pool.stride, g.pad = pool.pad, g.ceil = pool.ceil;
  return g;
}

int64_t Plan::max_activation() const {
  int64_t m = 0;
  for (const PlanOp& op : ops) {
    m = std::max(m, op.out.size());
    for (const LayerPlan& l : op.body) m = std::max(m, l.out.size());
  }
  return m;
}

Plan plan_of(const Architecture& a) {
  Plan plan;
  // Input.
  if (a.input.c <= 0 || a.input.h <= 0 || a.input.w <= 0)
    bad(a.image ? "input" : "input.features", "must be > 0, got ", a.image ? a.input.str() : std::to_string(a.input.c));
  if (a.input.c > kMaxValue || a.input.h > kMaxSide || a.input.w > kMaxSide || a.input.size() > kMaxValue)
    bad(a.image ? "input" : "input.features", a.image ? a.input.str() : std::to_string(a.input.c),
        " is unreasonably large (at most ", kMaxValue, " floats per sample)");
  if (!a.image && a.input.spatial()) bad("input", "is a feature vector and has no height or width");
  if (a.classes < 2) bad("head.classes", "must be >= 2, got ", a.classes);
  if (a.classes > kMaxWidth) bad("head.classes", a.classes, " is unreasonably large (at most ", kMaxWidth, ")");
  if (int32_t(a.family) < 0 || int32_t(a.family) > 3) bad("family", "is unknown (", int32_t(a.family), ")");
  if (a.name.size() > 200) bad("name", "is longer than 200 characters");
  if (a.sections() > kMaxSections)
    bad("stages", "hold ", a.sections(), " sections, which is unreasonably large (at most ", kMaxSections, ")");
  plan.input = a.input;

  // Whether the current value is >= 0 everywhere: a skipped identity section with h = ReLU
  // passes z_l on as it is, which is h(z_l) only then.
  bool nonneg = false;
  Shape cur = a.input;
  PlanOp stem;
  stem.kind = PlanOp::kLayer;
  stem.index = plan.layers++;
  stem.in = cur;
  stem.layer = layer_plan("stem", a.stem, cur);
  stem.out = stem.layer.out;
  check_value("stem", stem.out);
  plan.ops.push_back(stem);
  cur = stem.out;
  nonneg = a.stem.relu;
  if (a.stem_pool.present()) {
    PlanOp p;
    p.kind = PlanOp::kPool;
    p.index = plan.pools++;
    p.pool = a.stem_pool;
    p.in = cur;
    p.out = pooled("stem.pool", a.stem_pool, cur);
    plan.ops.push_back(p);
    cur = p.out;
  }

  int32_t section_index = 0;
  for (size_t i = 0; i < a.stages.size(); ++i) {
    const StageSpec& st = a.stages[i];
    const std::string field = "stages[" + std::to_string(i) + "]";
    if (st.has_transition) {
      PlanOp t;
      t.kind = PlanOp::kLayer;
      t.index = plan.layers++;
      t.stage = int32_t(i);
      t.in = cur;
      t.layer = layer_plan(field + ".transition", st.transition, cur);
      t.out = t.layer.out;
      plan.ops.push_back(t);
      cur = t.out;
      nonneg = st.transition.relu;
    }
    const bool conv = st.kind != SectionKind::kDense;
    if (int32_t(st.kind) < 0 || int32_t(st.kind) > 3) bad(field + ".kind", "is unknown (", int32_t(st.kind), ")");
    if (conv) {
      if (st.stride < 1 || st.stride > kMaxStride)
        bad(field + ".stride", "must be in [1, ", kMaxStride, "], got ", st.stride);
      if (st.kernel < 1 || st.kernel > kMaxKernel || st.kernel % 2 == 0)
        bad(field + ".kernel", "must be odd and in [1, ", kMaxKernel, "], got ", st.kernel);
      if (st.kind == SectionKind::kBottleneck && (st.expansion < 1 || st.expansion > 64))
        bad(field + ".expansion", "must be in [1, 64], got ", st.expansion);
    } else if (st.stride != 1) {
      bad(field + ".stride", "must be 1 for dense sections, got ", st.stride);
    }
    if (int32_t(st.skip) < 0 || int32_t(st.skip) > 2) bad(field + ".skip", "is unknown (", int32_t(st.skip), ")");
    for (size_t j = 0; j < st.widths.size(); ++j) {
      const std::string wfield = field + ".widths[" + std::to_string(j) + "]";
      const int64_t width = st.widths[j];
      check_width(wfield, width);
      const int64_t stride = j == 0 ? st.stride : 1;
      PlanOp s;
      s.kind = PlanOp::kSection;
      s.index = section_index++;
      s.stage = int32_t(i);
      s.section = st.kind;
      s.in = cur;
      s.relu_after = st.relu_after;
      if (conv && (cur.h + 2 * (st.kernel / 2) < st.kernel || cur.w + 2 * (st.kernel / 2) < st.kernel))
        bad(wfield, "(a ", st.kernel, "x", st.kernel, " section) does not fit its ", cur.str(), " input");
      switch (st.kind) {
        case SectionKind::kDense:
          s.body = {dense_plan(cur, width, true, true), dense_plan({width, 1, 1}, width, true, false)};
          break;
        case SectionKind::kBasic: {
          const LayerPlan first = conv_plan(cur, width, st.kernel, stride, true, true);
          s.body = {first, conv_plan(first.out, width, st.kernel, 1, false, false)};
          break;
        }
        case SectionKind::kBottleneck: {
          const LayerPlan reduce = conv_plan(cur, width, 1, 1, true, true);
          const LayerPlan middle = conv_plan(reduce.out, width, st.kernel, stride, true, true);
          if (st.expansion * width > kMaxWidth)
            bad(wfield, "times ", field, ".expansion makes ", st.expansion * width,
                " channels, which is unreasonably large (at most ", kMaxWidth, ")");
          s.body = {reduce, middle, conv_plan(middle.out, st.expansion * width, 1, 1, false, false)};
          break;
        }
        case SectionKind::kPlain:
          s.body = {conv_plan(cur, width, st.kernel, stride, true, true)};
          break;
      }
      s.out = s.body.back().out;
      for (const LayerPlan& l : s.body) check_value(wfield, l.out);
      const bool changes = s.out != cur;
      if (st.skip == SkipKind::kIdentity && changes)
        bad(field + ".skip", "is identity but section ", s.index, " maps ", cur.str(), " to ", s.out.str(),
            " (use auto or projection)");
      s.projection = st.skip == SkipKind::kProjection || (st.skip == SkipKind::kAuto && changes);
      if (s.projection) {
        s.skip = conv ? conv_plan(cur, s.out.c, 1, stride, false, false) : dense_plan(cur, s.out.c, false, false);
        if (s.skip.out != s.out) bad(wfield, "has a projection skip of shape ", s.skip.out.str(), ", not ", s.out.str());
      }
      if (st.relu_after && !s.projection && !nonneg)
        bad(field + ".h", "is relu, but section ", s.index,
            " has an identity skip on an input that may be negative (the output of a layer or section without "
            "ReLU), which a skipped section would pass on unrectified; use skip projection or a ReLU before it");
      plan.op_of_section.push_back(plan.ops.size());
      plan.ops.push_back(s);
      cur = s.out;
      nonneg = st.relu_after;
    }
    if (st.pool.present()) {
      PlanOp p;
      p.kind = PlanOp::kPool;
      p.index = plan.pools++;
      p.stage = int32_t(i);
      p.pool = st.pool;
      p.in = cur;
      p.out = pooled(field + ".pool", st.pool, cur);
      plan.ops.push_back(p);
      cur = p.out;
    }
    if (st.flatten) {
      PlanOp f;
      f.kind = PlanOp::kFlatten;
      f.stage = int32_t(i);
      f.in = cur;
      f.out = {cur.size(), 1, 1};
      plan.ops.push_back(f);
      cur = f.out;
    }
  }
  plan.head_pool = cur.spatial();
  plan.head = dense_plan({cur.c, 1, 1}, a.classes, true, false);
  // Weights, gradients and momentum: 3 floats per parameter.
  require_memory(12.0 * double(cost::params(plan, std::vector<bool>(size_t(plan.sections()), true))),
                 "build the network");
  return plan;
}

void Architecture::validate() const { (void)plan_of(*this); }

void set_post_activation(Architecture& a, bool relu) {
  for (StageSpec& s : a.stages) s.relu_after = relu;
}

// Presets -------------------------------------------------------------------------------

namespace {

int64_t scaled(int64_t channels, double width_multiplier) {
  require(std::isfinite(width_multiplier) && width_multiplier > 0 && width_multiplier <= 64,
          "could not build the network because the width multiplier must be in (0, 64], got ", width_multiplier);
  return std::max<int64_t>(1, std::llround(double(channels) * width_multiplier));
}

StageSpec stage(SectionKind kind, int64_t width, int32_t blocks, int64_t stride = 1) {
  StageSpec s;
  s.kind = kind;
  s.widths.assign(size_t(std::max(blocks, 0)), width);
  s.stride = stride;
  return s;
}

Architecture image_input(Shape input, int32_t classes, Family family) {
  Architecture a;
  a.input = input;
  a.image = true;
  a.classes = classes;
  a.family = family;
  return a;
}

}  // namespace

Architecture mlp_architecture(int64_t input, int64_t stem_width, const std::vector<int64_t>& widths, int32_t classes) {
  Architecture a;
  a.name = "residual-mlp";
  a.input = {input, 1, 1};
  a.image = false;
  a.stem = dense_layer(stem_width, true);
  if (!widths.empty()) {
    StageSpec s;
    s.kind = SectionKind::kDense;
    s.widths = widths;
    a.stages.push_back(s);
  }
  a.classes = classes;
  a.family = Family::kMlp;
  return a;
}

Architecture resnet_cifar(int32_t depth, Shape input, int32_t classes, double width_multiplier) {
  require(depth >= 8 && (depth - 2) % 6 == 0, "could not build a ResNet of depth ", depth,
          ": CIFAR ResNets have depth 6n + 2 (20, 32, 56, 110)");
  require(depth <= 6 * 10000 + 2, "could not build a ResNet of depth ", depth, " because it is unreasonably deep");
  const int32_t n = (depth - 2) / 6;
  Architecture a = image_input(input, classes, Family::kResNet);
  a.name = "resnet" + std::to_string(depth);
  a.stem = conv_layer(scaled(16, width_multiplier), 3);
  a.stages = {stage(SectionKind::kBasic, scaled(16, width_multiplier), n, 1),
              stage(SectionKind::kBasic, scaled(32, width_multiplier), n, 2),
              stage(SectionKind::kBasic, scaled(64, width_multiplier), n, 2)};
  return a;
}

Architecture resnet_imagenet(int32_t depth, Shape input, int32_t classes, double width_multiplier) {
  std::vector<int32_t> blocks;
  SectionKind kind = SectionKind::kBasic;
  if (depth == 18) blocks = {2, 2, 2, 2};
  if (depth == 34) blocks = {3, 4, 6, 3};
  if (depth == 50) blocks = {3, 4, 6, 3}, kind = SectionKind::kBottleneck;
  require(!blocks.empty(), "could not build an ImageNet-layout ResNet of depth ", depth, ": use 18, 34 or 50");
  Architecture a = image_input(input, classes, Family::kResNet);
  a.name = "resnet" + std::to_string(depth);
  if (std::min(input.h, input.w) >= 64) {
    a.stem = conv_layer(scaled(64, width_multiplier), 7, 2, 3);
    a.stem_pool = max_pool(3, 2, 1, false);
  } else {
    a.stem = conv_layer(scaled(64, width_multiplier), 3, 1);
  }
  const int64_t widths[] = {64, 128, 256, 512};
  for (size_t i = 0; i < blocks.size(); ++i)
    a.stages.push_back(stage(kind, scaled(widths[i], width_multiplier), blocks[i], i == 0 ? 1 : 2));
  return a;
}

Architecture vgg16(Shape input, int32_t classes, double width_multiplier) {
  Architecture a = image_input(input, classes, Family::kVgg);
  a.name = "vgg16";
  const auto c = [&](int64_t channels) { return scaled(channels, width_multiplier); };
  a.stem = conv_layer(c(64), 3);
  // Gated sections and, where the channels change, an ungated transition first: 1 + 1+1 +
  // 1+2 + 1+2 + 3 gated or transition convs after the stem = 12, plus the stem = 13.
  const int64_t channels[] = {64, 128, 256, 512, 512};
  const int32_t blocks[] = {1, 1, 2, 2, 3};
  int64_t last = c(64);
  for (int i = 0; i < 5; ++i) {
    StageSpec s = stage(SectionKind::kPlain, c(channels[i]), blocks[i]);
    if (c(channels[i]) != last) {
      s.has_transition = true;
      s.transition = conv_layer(c(channels[i]), 3);
    }
    s.pool = max_pool(2, 2, 0, true);
    last = c(channels[i]);
    a.stages.push_back(s);
  }
  return a;
}

Architecture lenet5(Shape input, int32_t classes) {
  Architecture a = image_input(input, classes, Family::kLeNet);
  a.name = "lenet5";
  a.stem = conv_layer(6, 5);
  StageSpec pool1;
  pool1.kind = SectionKind::kPlain;
  pool1.pool = max_pool(2, 2, 0, true);
  StageSpec conv2;
  conv2.kind = SectionKind::kPlain;
  conv2.has_transition = true;
  conv2.transition = conv_layer(16, 5, 1, 0);
  conv2.pool = max_pool(2, 2, 0, true);
  conv2.flatten = true;
  StageSpec fc1 = stage(SectionKind::kBasic, 120, 1);
  fc1.kernel = 1;
  StageSpec fc2 = stage(SectionKind::kBasic, 84, 1);
  fc2.kernel = 1;
  a.stages = {pool1, conv2, fc1, fc2};
  return a;
}

Architecture preset_architecture(const std::string& name, Shape input, int32_t classes, double width_multiplier) {
  if (name == "mlp" || name.rfind("mlp:", 0) == 0) {
    std::vector<int64_t> widths;
    if (name == "mlp") {
      widths.assign(12, scaled(256, width_multiplier));
    } else {
      const std::string list = name.substr(4);
      size_t at = 0;
      while (at <= list.size()) {
        const size_t dash = std::min(list.find('-', at), list.size());
        const std::string part = list.substr(at, dash - at);
        char* end = nullptr;
        const long long w = std::strtoll(part.c_str(), &end, 10);
        require(!part.empty() && end && *end == '\0' && w > 0 && w <= kMaxWidth, "could not read the preset '", name,
                "': widths are positive numbers separated by '-', as in mlp:512-256-128");
        widths.push_back(scaled(w, width_multiplier));
        at = dash + 1;
      }
    }
    return mlp_architecture(input.size(), widths.front(), widths, classes);
  }
  if (name == "lenet5") return lenet5(input, classes);
  if (name == "vgg16") return vgg16(input, classes, width_multiplier);
  if (name == "resnet18" || name == "resnet34" || name == "resnet50")
    return resnet_imagenet(std::atoi(name.c_str() + 6), input, classes, width_multiplier);
  if (name.rfind("resnet", 0) == 0 && name.size() > 6 && name.size() <= 11 &&
      name.find_first_not_of("0123456789", 6) == std::string::npos)
    return resnet_cifar(std::atoi(name.c_str() + 6), input, classes, width_multiplier);
  fail("could not build the preset '", name,
       "' because it is unknown: use mlp, mlp:W1-W2-..., lenet5, vgg16, resnet20, resnet32, resnet56, resnet110 "
       "(any 6n + 2), resnet18, resnet34 or resnet50");
}

}  // namespace layerprune
