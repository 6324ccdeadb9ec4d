// layerprune C API, data and normalisation: per-feature or per-channel statistics of a data
// set, normalised copies and row subsets of data sets (validation splits), and the feature
// normalisation a model carries into its checkpoint and its exported network, so that
// prediction takes raw features. Same conventions as api.h.
//
// A normalizer is G (mean, std) pairs; feature i of a sample of `dim` features uses pair i % G
// (G = dim: per feature; G = channels: per channel of NHWC images; G = 1: one global pair);
// x' = (x - mean) / std. Data sets hold normalised features: model_evaluate, exported_evaluate
// and training use them as they are; model_predict and exported_predict apply the model's
// normalizer to the raw features they are given (none set: features as given).
#pragma once
#include <cstdint>

#include "layerprune/api.h"
#include "layerprune/api_export.h"

namespace layerprune {

// mean_out, std_out: `groups` values, the mean and population standard deviation of the
// features of each group over every sample (double accumulation). groups must divide dim.
void dataset_feature_stats(const Dataset* data, int64_t groups, double* mean_out, double* std_out);
// A new data set: the features of `data` normalised with the (validated) pairs, the labels copied.
Dataset* dataset_normalized(const Dataset* data, const double* mean, const double* std, int64_t groups);
// A new data set of rows[0..count) of `data`, in that order (each in [0, size)).
Dataset* dataset_subset(const Dataset* data, const int64_t* rows, int64_t count);
// The number of classes the labels are drawn from.
int32_t dataset_classes(const Dataset* data);

// Sets (groups > 0) or removes (groups = 0) the model's normalizer; checkpoints store it.
void model_set_normalizer(Model* model, const double* mean, const double* std, int64_t groups);
// 0: none.
int64_t model_normalizer_groups(const Model* model);
// mean_out, std_out: model_normalizer_groups() values.
void model_normalizer(const Model* model, double* mean_out, double* std_out);

// The normalizer of an exported network (copied from its model by exported_from_model, stored
// in its file by exported_save, read by exported_load); 0: none.
int64_t exported_normalizer_groups(const ExportedModel* exported);
void exported_normalizer(const ExportedModel* exported, double* mean_out, double* std_out);

}  // namespace layerprune
