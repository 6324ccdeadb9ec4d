// The data and normalisation C API: argument checks and handle bookkeeping; the record format
// and the arithmetic are in io/normalizer_record.
#include "layerprune/api_data.h"

#include <cmath>
#include <memory>
#include <vector>

#include "api/handles.h"
#include "api/normalization.h"
#include "core/error.h"
#include "model/dataset.h"

namespace layerprune {

namespace {

const Dataset& live(const Dataset* d) {
  require(d != nullptr, "the data set handle is null (closed or never created)");
  return *d;
}

Model& live(Model* m) {
  require(m != nullptr, "the model handle is null (closed or never created)");
  return *m;
}

const Model& live(const Model* m) {
  require(m != nullptr, "the model handle is null (closed or never created)");
  return *m;
}

void copy_out(const io::Normalizer& n, double* mean_out, double* std_out) {
  if (n.empty()) return;
  require(mean_out != nullptr && std_out != nullptr, "the normalizer output is null");
  for (int64_t g = 0; g < n.groups(); ++g) mean_out[g] = n.mean[g], std_out[g] = n.std[g];
}

}  // namespace

io::Normalizer& normalizer_of(Model* model) { return live(model).normalizer; }
const io::Normalizer& normalizer_of(const Model* model) { return live(model).normalizer; }

const float* normalized_features(const io::Normalizer& n, const float* features, int64_t count, int64_t dim,
                                 std::vector<float>& scratch) {
  if (n.empty() || features == nullptr || count <= 0) return features;
  scratch.resize(static_cast<size_t>(count * dim));
  io::apply_normalizer(n, features, scratch.data(), count, dim);
  return scratch.data();
}

void dataset_feature_stats(const Dataset* data, int64_t groups, double* mean_out, double* std_out) {
  const Dataset& d = live(data);
  require(groups > 0 && d.dim % groups == 0, "could not compute the feature statistics because ", groups,
          " groups do not divide the ", d.dim, " features per sample");
  require(mean_out != nullptr && std_out != nullptr, "the statistics output is null");
  require(d.count > 0, "could not compute the feature statistics because the data set is empty");
  // Two passes in double, per group: exact enough for any data set that fits in memory.
  std::vector<double> sum(static_cast<size_t>(groups), 0.0), ss(static_cast<size_t>(groups), 0.0);
  for (int64_t r = 0; r < d.count; ++r) {
    const float* x = d.features.data() + r * d.dim;
    for (int64_t i = 0; i < d.dim; ++i) sum[i % groups] += x[i];
  }
  const double per_group = static_cast<double>(d.count) * static_cast<double>(d.dim / groups);
  for (int64_t g = 0; g < groups; ++g) mean_out[g] = sum[g] / per_group;
  for (int64_t r = 0; r < d.count; ++r) {
    const float* x = d.features.data() + r * d.dim;
    for (int64_t i = 0; i < d.dim; ++i) {
      const double e = x[i] - mean_out[i % groups];
      ss[i % groups] += e * e;
    }
  }
  for (int64_t g = 0; g < groups; ++g) std_out[g] = std::sqrt(ss[g] / per_group);
}

Dataset* dataset_normalized(const Dataset* data, const double* mean, const double* std, int64_t groups) {
  const Dataset& d = live(data);
  require(groups > 0, "could not normalise the data set because the normalizer is empty");
  const io::Normalizer n = io::make_normalizer(mean, std, groups, d.dim);
  std::vector<float> features(d.features.size());
  io::apply_normalizer(n, d.features.data(), features.data(), d.count, d.dim);
  return make_dataset(features.data(), d.labels.data(), d.count, d.dim, d.classes);
}

Dataset* dataset_subset(const Dataset* data, const int64_t* rows, int64_t count) {
  const Dataset& d = live(data);
  require(count >= 0, "could not take a subset because count must be >= 0, got ", count);
  require(count == 0 || rows != nullptr, "could not take a subset because the row indices are null");
  std::vector<float> features(static_cast<size_t>(count * d.dim));
  std::vector<int32_t> labels(static_cast<size_t>(count));
  for (int64_t k = 0; k < count; ++k) {
    const int64_t r = rows[k];
    require(r >= 0 && r < d.count, "could not take a subset because row ", r, " (index ", k, ") is outside [0, ",
            d.count, ")");
    std::copy(d.features.begin() + r * d.dim, d.features.begin() + (r + 1) * d.dim, features.begin() + k * d.dim);
    labels[static_cast<size_t>(k)] = d.labels[static_cast<size_t>(r)];
  }
  return make_dataset(features.data(), labels.data(), count, d.dim, d.classes);
}

int32_t dataset_classes(const Dataset* data) { return live(data).classes; }

void model_set_normalizer(Model* model, const double* mean, const double* std, int64_t groups) {
  Model& m = live(model);
  const auto held = hold(&m);
  m.normalizer = io::make_normalizer(mean, std, groups, m.net->input_size());
}

int64_t model_normalizer_groups(const Model* model) {
  const auto held = hold(&live(model));
  return model->normalizer.groups();
}

void model_normalizer(const Model* model, double* mean_out, double* std_out) {
  const auto held = hold(&live(model));
  copy_out(model->normalizer, mean_out, std_out);
}

}  // namespace layerprune
