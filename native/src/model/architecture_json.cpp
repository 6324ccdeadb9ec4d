#include "model/architecture_json.h"

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.h"

namespace layerprune {

namespace {

using Json = nlohmann::json;
using Ordered = nlohmann::ordered_json;

template <typename... Parts>
[[noreturn]] void bad(const std::string& field, const Parts&... parts) {
  fail("could not read the architecture because ", field, " ", parts...);
}

std::string shown(const Json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

// An object's fields, checked against the names it may have.
class Object {
 public:
  Object(const Json& j, std::string path, std::initializer_list<const char*> allowed) : j_(j), path_(std::move(path)) {
    if (!j.is_object()) bad(path_, "must be an object, got ", shown(j));
    std::set<std::string> names(allowed.begin(), allowed.end());
    for (auto it = j.begin(); it != j.end(); ++it)
      if (!names.count(it.key())) {
        std::string list;
        for (const char* n : allowed) list += std::string(list.empty() ? "" : ", ") + n;
        bad(field(it.key()), "is not a field of ", path_.empty() ? "the description" : path_, " (", list, ")");
      }
  }
  std::string field(const std::string& name) const { return path_.empty() ? name : path_ + "." + name; }
  bool has(const char* name) const { return j_.contains(name); }
  const Json& at(const char* name) const {
    if (!has(name)) bad(field(name), "is missing");
    return j_.at(name);
  }
  int64_t integer(const char* name) const { return integer_of(at(name), field(name)); }
  int64_t integer(const char* name, int64_t fallback) const { return has(name) ? integer(name) : fallback; }
  bool boolean(const char* name, bool fallback) const {
    if (!has(name)) return fallback;
    const Json& v = j_.at(name);
    if (!v.is_boolean()) bad(field(name), "must be true or false, got ", shown(v));
    return v.get<bool>();
  }
  std::string text(const char* name, const char* fallback) const {
    if (!has(name)) return fallback;
    const Json& v = j_.at(name);
    if (!v.is_string()) bad(field(name), "must be a string, got ", shown(v));
    return v.get<std::string>();
  }
  static int64_t integer_of(const Json& v, const std::string& field) {
    if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
      bad(field, "is unreasonably large, got ", shown(v));
    if (!v.is_number_integer()) bad(field, "must be an integer, got ", shown(v));
    return v.get<int64_t>();
  }

 private:
  const Json& j_;
  std::string path_;
};

template <typename E>
E choice(const std::string& field, const std::string& value, std::initializer_list<std::pair<const char*, E>> options) {
  std::string list;
  for (const auto& o : options) {
    if (value == o.first) return o.second;
    list += std::string(list.empty() ? "" : ", ") + o.first;
  }
  bad(field, "'", value, "' is not one of ", list);
}

PoolSpec pool_from(const Json& j, const std::string& path) {
  const Object o(j, path, {"kernel", "stride", "pad", "ceil"});
  PoolSpec p;
  p.kernel = o.integer("kernel");
  p.stride = o.integer("stride", p.kernel);
  p.pad = o.integer("pad", 0);
  p.ceil = o.boolean("ceil", false);
  if (p.kernel < 1) bad(o.field("kernel"), "must be >= 1, got ", p.kernel);
  return p;
}

LayerSpec layer_from(const Json& j, const std::string& path, bool stem, PoolSpec* pool) {
  if (!j.is_object()) bad(path, "must be an object, got ", shown(j));
  const std::string kind = j.contains("kind") && j.at("kind").is_string() ? j.at("kind").get<std::string>() : "";
  if (!j.contains("kind")) bad(path + ".kind", "is missing (dense or conv)");
  LayerSpec s;
  if (choice<LayerKind>(path + ".kind", kind, {{"dense", LayerKind::kDense}, {"conv", LayerKind::kConv}}) ==
      LayerKind::kDense) {
    const Object o = stem ? Object(j, path, {"kind", "width", "relu", "pool"}) : Object(j, path, {"kind", "width", "relu"});
    s = dense_layer(o.integer("width"), o.boolean("relu", true));
    if (stem && o.has("pool")) *pool = pool_from(o.at("pool"), o.field("pool"));
    return s;
  }
  const Object o = stem ? Object(j, path, {"kind", "channels", "kernel", "stride", "pad", "batchnorm", "relu", "pool"})
                        : Object(j, path, {"kind", "channels", "kernel", "stride", "pad", "batchnorm", "relu"});
  const int64_t kernel = o.integer("kernel", 3);
  const int64_t pad = o.integer("pad", kernel / 2);
  if (pad < 0) bad(o.field("pad"), "must be >= 0, got ", pad);
  s = conv_layer(o.integer("channels"), kernel, o.integer("stride", 1), pad, o.boolean("batchnorm", true),
                 o.boolean("relu", true));
  if (stem && o.has("pool")) *pool = pool_from(o.at("pool"), o.field("pool"));
  return s;
}

StageSpec stage_from(const Json& j, const std::string& path) {
  const Object o(j, path, {"transition", "kind", "widths", "width", "blocks", "stride", "kernel", "expansion", "skip",
                           "h", "pool", "flatten"});
  StageSpec s;
  s.kind = choice<SectionKind>(o.field("kind"), o.at("kind").is_string() ? o.at("kind").get<std::string>() : shown(o.at("kind")),
                               {{"dense", SectionKind::kDense},
                                {"basic", SectionKind::kBasic},
                                {"bottleneck", SectionKind::kBottleneck},
                                {"plain", SectionKind::kPlain}});
  if (o.has("transition")) {
    s.has_transition = true;
    s.transition = layer_from(o.at("transition"), o.field("transition"), false, nullptr);
  }
  if (o.has("widths")) {
    if (o.has("width") || o.has("blocks")) bad(o.field("widths"), "and width/blocks are two ways to say one thing: give one");
    const Json& w = o.at("widths");
    if (!w.is_array()) bad(o.field("widths"), "must be an array of integers, got ", shown(w));
    for (size_t i = 0; i < w.size(); ++i)
      s.widths.push_back(Object::integer_of(w[i], o.field("widths") + "[" + std::to_string(i) + "]"));
  } else {
    const int64_t blocks = o.integer("blocks", o.has("width") ? 1 : 0);
    if (blocks < 0 || blocks > (1 << 16)) bad(o.field("blocks"), "must be in [0, 65536], got ", blocks);
    if (blocks > 0) s.widths.assign(size_t(blocks), o.integer("width"));
  }
  const bool conv = s.kind != SectionKind::kDense;
  if (!conv)
    for (const char* f : {"stride", "kernel", "expansion"})
      if (o.has(f)) bad(o.field(f), "does not apply to dense sections");
  if (s.kind != SectionKind::kBottleneck && o.has("expansion")) bad(o.field("expansion"), "applies to bottleneck sections only");
  s.stride = o.integer("stride", 1);
  s.kernel = o.integer("kernel", 3);
  s.expansion = o.integer("expansion", 4);
  s.skip = choice<SkipKind>(o.field("skip"), o.text("skip", "auto"),
                            {{"auto", SkipKind::kAuto}, {"identity", SkipKind::kIdentity}, {"projection", SkipKind::kProjection}});
  s.relu_after = choice<bool>(o.field("h"), o.text("h", "identity"), {{"identity", false}, {"relu", true}});
  if (o.has("pool")) s.pool = pool_from(o.at("pool"), o.field("pool"));
  s.flatten = o.boolean("flatten", false);
  return s;
}

Ordered layer_json(const LayerSpec& s, const PoolSpec* pool);

Ordered pool_json(const PoolSpec& p) {
  Ordered j;
  j["kernel"] = p.kernel;
  j["stride"] = p.stride;
  j["pad"] = p.pad;
  j["ceil"] = p.ceil;
  return j;
}

Ordered layer_json(const LayerSpec& s, const PoolSpec* pool) {
  Ordered j;
  if (s.kind == LayerKind::kDense) {
    j["kind"] = "dense";
    j["width"] = s.out;
    j["relu"] = s.relu;
  } else {
    j["kind"] = "conv";
    j["channels"] = s.out;
    j["kernel"] = s.kernel;
    j["stride"] = s.stride;
    j["pad"] = s.padding();
    j["batchnorm"] = s.batchnorm;
    j["relu"] = s.relu;
  }
  if (pool && pool->present()) j["pool"] = pool_json(*pool);
  return j;
}

}  // namespace

std::string to_json(const Architecture& a) {
  Ordered j;
  j["version"] = 1;
  if (!a.name.empty()) j["name"] = a.name;
  j["family"] = family_name(a.family);
  Ordered in;
  if (a.image) {
    in["channels"] = a.input.c;
    in["height"] = a.input.h;
    in["width"] = a.input.w;
  } else {
    in["features"] = a.input.c;
  }
  j["input"] = in;
  j["stem"] = layer_json(a.stem, &a.stem_pool);
  Ordered stages = Ordered::array();
  for (const StageSpec& s : a.stages) {
    Ordered st;
    if (s.has_transition) st["transition"] = layer_json(s.transition, nullptr);
    st["kind"] = section_kind_name(s.kind);
    bool same = true;
    for (int64_t w : s.widths) same = same && w == s.widths.front();
    if (s.widths.empty()) {
      st["blocks"] = 0;
    } else if (same) {
      st["width"] = s.widths.front();
      st["blocks"] = s.widths.size();
    } else {
      st["widths"] = s.widths;
    }
    if (s.kind != SectionKind::kDense) {
      st["stride"] = s.stride;
      st["kernel"] = s.kernel;
    }
    if (s.kind == SectionKind::kBottleneck) st["expansion"] = s.expansion;
    st["skip"] = s.skip == SkipKind::kAuto ? "auto" : s.skip == SkipKind::kIdentity ? "identity" : "projection";
    st["h"] = s.relu_after ? "relu" : "identity";
    if (s.pool.present()) st["pool"] = pool_json(s.pool);
    if (s.flatten) st["flatten"] = true;
    stages.push_back(st);
  }
  j["stages"] = stages;
  Ordered head;
  head["classes"] = a.classes;
  j["head"] = head;
  return j.dump(-1, ' ', false, Ordered::error_handler_t::replace);
}

namespace {
Architecture architecture_from(const Json& j);
}  // namespace

Architecture architecture_from_json(const std::string& text) {
  Json j;
  try {
    j = Json::parse(text);
  } catch (const Json::exception& e) {  // syntax errors, numbers out of range, bad UTF-8
    fail("could not read the architecture because its JSON is malformed: ", e.what());
  }
  try {
    return architecture_from(j);
  } catch (const Json::exception& e) {  // a value of an unexpected type the checks above missed
    fail("could not read the architecture because ", e.what());
  }
}

namespace {

Architecture architecture_from(const Json& j) {
  const Object o(j, "", {"version", "name", "family", "input", "stem", "stages", "head"});
  const int64_t version = o.integer("version", 1);
  if (version != 1) bad("version", version, " is newer than this library reads (1)");
  Architecture a;
  a.name = o.text("name", "");
  {
    const Object in(o.at("input"), "input", {"features", "channels", "height", "width"});
    if (in.has("features")) {
      if (in.has("channels") || in.has("height") || in.has("width"))
        bad("input", "has features and an image shape: give one (features for vectors, channels/height/width for images)");
      a.input = {in.integer("features"), 1, 1};
      a.image = false;
    } else {
      a.input = {in.integer("channels"), in.integer("height"), in.integer("width")};
      a.image = true;
    }
  }
  a.stem = layer_from(o.at("stem"), "stem", true, &a.stem_pool);
  if (o.has("stages")) {
    const Json& stages = o.at("stages");
    if (!stages.is_array()) bad("stages", "must be an array, got ", shown(stages));
    for (size_t i = 0; i < stages.size(); ++i) a.stages.push_back(stage_from(stages[i], "stages[" + std::to_string(i) + "]"));
  }
  {
    const Object head(o.at("head"), "head", {"classes"});
    const int64_t classes = head.integer("classes");
    if (classes < 2 || classes > (1 << 16)) bad("head.classes", "must be in [2, 65536], got ", classes);
    a.classes = static_cast<int32_t>(classes);
  }
  a.family = o.has("family") ? choice<Family>("family", o.text("family", ""),
                                              {{"mlp", Family::kMlp},
                                               {"resnet", Family::kResNet},
                                               {"vgg", Family::kVgg},
                                               {"lenet", Family::kLeNet}})
                             : derived_family(a);
  a.validate();
  return a;
}

}  // namespace

}  // namespace layerprune
