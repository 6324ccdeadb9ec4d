// The feature normalisation a model carries (issue 13 item 6, api_data.h): its record, the data
// set statistics, normalised copies and subsets, and the model's normalizer through prediction,
// checkpoints and exported networks: predicting raw features equals predicting the features
// normalised by hand on a model without a normalizer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/rng.h"
#include "io/binary_container.h"
#include "io/normalizer_record.h"
#include "layerprune/api.h"
#include "layerprune/api_checkpoint.h"
#include "layerprune/api_data.h"
#include "layerprune/api_export.h"

namespace layerprune {
namespace {

using ModelPtr = std::unique_ptr<Model, void (*)(Model*)>;
using DatasetPtr = std::unique_ptr<Dataset, void (*)(Dataset*)>;
using ExportedPtr = std::unique_ptr<ExportedModel, void (*)(ExportedModel*)>;
using FilePtr = std::unique_ptr<ContainerFile, void (*)(ContainerFile*)>;

constexpr int64_t kDim = 6;

// The one place this test builds a model (a small residual MLP on kDim features).
ModelPtr make_model() {
  MlpSpec spec{kDim, 8, 2, 3, 5, 0};
  return ModelPtr(model_create_mlp(&spec), model_destroy);
}

std::string temp_path(const char* name) {
  return std::string("/tmp/lp_norm_test_") + std::to_string(getpid()) + "_" + name;
}

// Raw features far from standardised: feature d ~ N(10 d, (d + 1)^2).
std::vector<float> raw_features(int64_t count, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(static_cast<size_t>(count * kDim));
  for (int64_t i = 0; i < count; ++i)
    for (int64_t d = 0; d < kDim; ++d) x[i * kDim + d] = float(10.0 * d + (d + 1) * rng.normal());
  return x;
}

std::vector<float> logits(Model* m, const std::vector<float>& x) {
  const int64_t n = static_cast<int64_t>(x.size()) / kDim;
  std::vector<float> out(static_cast<size_t>(n * 3));
  model_predict(m, x.data(), n, EVAL_DETERMINISTIC, out.data());
  return out;
}

TEST(Normalizer, RecordRoundTripsAndIsOptional) {
  const double mean[] = {1, 2, 3}, std[] = {0.5, 2, 4};
  const io::Normalizer n = io::make_normalizer(mean, std, 3, 6);
  io::Container c("LPTEST01", 1, "test");
  io::put_normalizer(n, c);
  const io::Container back = io::parse_container(c.serialize().data(), c.serialized_size(), {"LPTEST01"});
  const io::Normalizer m = io::get_normalizer(back, 6);
  EXPECT_EQ(m.mean, n.mean);
  EXPECT_EQ(m.std, n.std);
  io::Container none("LPTEST01", 1, "test");
  io::put_normalizer(io::Normalizer{}, none);
  EXPECT_TRUE(none.records().empty());
  EXPECT_TRUE(io::get_normalizer(none, 6).empty());
  // A stored normalizer that does not fit the model is a corrupt or foreign file.
  EXPECT_THROW(io::get_normalizer(back, 7), Error);
}

TEST(Normalizer, RejectsBadPairs) {
  const double mean[] = {0, 0}, good[] = {1, 1}, zero[] = {1, 0}, nan[] = {NAN, 1};
  EXPECT_NO_THROW(io::make_normalizer(mean, good, 2, 4));
  EXPECT_THROW(io::make_normalizer(mean, good, 2, 5), Error);  // 2 does not divide 5
  EXPECT_THROW(io::make_normalizer(mean, zero, 2, 4), Error);
  EXPECT_THROW(io::make_normalizer(nan, good, 2, 4), Error);
  EXPECT_THROW(io::make_normalizer(mean, good, -1, 4), Error);
  try {
    io::make_normalizer(mean, zero, 2, 4);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("std[1]"), std::string::npos) << e.what();
  }
}

TEST(Normalizer, StatisticsNormalisedCopiesAndSubsets) {
  const std::vector<float> x = raw_features(400, 1);
  std::vector<int32_t> y(400);
  for (int i = 0; i < 400; ++i) y[i] = i % 3;
  DatasetPtr raw(dataset_create(x.data(), y.data(), 400, kDim, 3), dataset_destroy);
  double mean[kDim], sd[kDim];
  dataset_feature_stats(raw.get(), kDim, mean, sd);
  for (int d = 0; d < kDim; ++d) {
    EXPECT_NEAR(mean[d], 10.0 * d, 0.4 * (d + 1)) << d;
    EXPECT_NEAR(sd[d], d + 1.0, 0.2 * (d + 1)) << d;
  }
  DatasetPtr norm(dataset_normalized(raw.get(), mean, sd, kDim), dataset_destroy);
  double m2[kDim], s2[kDim];
  dataset_feature_stats(norm.get(), kDim, m2, s2);
  for (int d = 0; d < kDim; ++d) {
    EXPECT_NEAR(m2[d], 0.0, 1e-5);
    EXPECT_NEAR(s2[d], 1.0, 1e-5);
  }
  double g_mean[2], g_sd[2];  // two interleaved groups: even and odd features
  dataset_feature_stats(raw.get(), 2, g_mean, g_sd);
  EXPECT_NEAR(g_mean[0], (0 + 20 + 40) / 3.0, 1.0);
  EXPECT_THROW(dataset_feature_stats(raw.get(), 4, g_mean, g_sd), Error);

  const int64_t rows[] = {399, 0, 7};
  DatasetPtr sub(dataset_subset(raw.get(), rows, 3), dataset_destroy);
  EXPECT_EQ(dataset_size(sub.get()), 3);
  EXPECT_EQ(dataset_classes(sub.get()), 3);
  double one[kDim], unused[kDim];
  const int64_t row399[] = {399};
  DatasetPtr single(dataset_subset(raw.get(), row399, 1), dataset_destroy);
  dataset_feature_stats(single.get(), kDim, one, unused);
  for (int d = 0; d < kDim; ++d) EXPECT_FLOAT_EQ(float(one[d]), x[399 * kDim + d]);
  const int64_t bad[] = {400};
  EXPECT_THROW(dataset_subset(raw.get(), bad, 1), Error);
}

TEST(Normalizer, ModelPredictsRawFeaturesThroughCheckpointAndExport) {
  const std::vector<float> x = raw_features(5, 2);
  const double mean[] = {0, 10, 20, 30, 40, 50}, sd[] = {1, 2, 3, 4, 5, 6};
  std::vector<float> by_hand(x.size());
  for (size_t i = 0; i < x.size(); ++i) by_hand[i] = float((double(x[i]) - mean[i % kDim]) / sd[i % kDim]);

  ModelPtr plain = make_model();
  ModelPtr model = make_model();  // the same weights (same seed)
  EXPECT_EQ(model_normalizer_groups(model.get()), 0);
  model_set_normalizer(model.get(), mean, sd, kDim);
  EXPECT_EQ(model_normalizer_groups(model.get()), kDim);
  const std::vector<float> expected = logits(plain.get(), by_hand);
  EXPECT_EQ(logits(model.get(), x), expected);
  EXPECT_NE(logits(plain.get(), x), expected);  // the normalizer matters

  const std::string ckpt = temp_path("model.lpckpt");
  checkpoint_save(model.get(), nullptr, "", ckpt.c_str());
  FilePtr f(checkpoint_read(ckpt.c_str()), container_destroy);
  ModelPtr restored(checkpoint_restore_model(f.get()), model_destroy);
  ASSERT_EQ(model_normalizer_groups(restored.get()), kDim);
  double m[kDim], s[kDim];
  model_normalizer(restored.get(), m, s);
  for (int d = 0; d < kDim; ++d) {
    EXPECT_EQ(m[d], mean[d]);
    EXPECT_EQ(s[d], sd[d]);
  }
  EXPECT_EQ(logits(restored.get(), x), expected);

  ExportedPtr exported(exported_from_model(model.get()), exported_destroy);
  ASSERT_EQ(exported_normalizer_groups(exported.get()), kDim);
  const std::string file = temp_path("model.lpexport");
  exported_save(exported.get(), file.c_str(), "meta");
  ExportedPtr loaded(exported_load(file.c_str()), exported_destroy);
  ASSERT_EQ(exported_normalizer_groups(loaded.get()), kDim);
  exported_normalizer(loaded.get(), m, s);
  EXPECT_EQ(m[5], 50);
  EXPECT_EQ(s[5], 6);
  EXPECT_STREQ(exported_metadata(loaded.get()), "meta");
  std::vector<float> from_export(15), from_plain_export(15);
  exported_predict(loaded.get(), x.data(), 5, from_export.data());
  ExportedPtr plain_export(exported_from_model(plain.get()), exported_destroy);
  EXPECT_EQ(exported_normalizer_groups(plain_export.get()), 0);
  exported_predict(plain_export.get(), by_hand.data(), 5, from_plain_export.data());
  for (size_t i = 0; i < 15; ++i) EXPECT_NEAR(from_export[i], from_plain_export[i], 1e-5) << i;

  // Removing it: features are used as given again.
  model_set_normalizer(model.get(), nullptr, nullptr, 0);
  EXPECT_EQ(model_normalizer_groups(model.get()), 0);
  EXPECT_THROW(model_set_normalizer(model.get(), mean, sd, 4), Error);  // 4 does not divide 6
  std::remove(ckpt.c_str());
  std::remove(file.c_str());
}

}  // namespace
}  // namespace layerprune
