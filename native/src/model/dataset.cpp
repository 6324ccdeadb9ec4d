#include "model/dataset.h"

#include <cmath>
#include <memory>

#include "core/error.h"

namespace layerprune {

Dataset* make_dataset(const float* features, const int32_t* labels, int64_t count, int64_t dim,
                      int32_t classes) {
  require(features != nullptr && labels != nullptr,
          "could not create the data set because its features or labels are null");
  require(count > 0, "could not create the data set because it has ", count, " samples (need > 0)");
  require(dim > 0, "could not create the data set because dim must be > 0, got ", dim);
  require(classes >= 2, "could not create the data set because classes must be >= 2, got ", classes);
  auto data = std::make_unique<Dataset>();
  data->count = count;
  data->dim = dim;
  data->classes = classes;
  data->labels.assign(labels, labels + count);
  for (int64_t i = 0; i < count; ++i)
    require(data->labels[i] >= 0 && data->labels[i] < classes, "could not create the data set because label ",
            i, " is ", data->labels[i], ", outside [0, ", classes, ")");
  data->features.assign(features, features + count * dim);
  for (int64_t i = 0; i < count * dim; ++i)
    require(std::isfinite(data->features[i]), "could not create the data set because feature ",
            i % dim, " of sample ", i / dim, " is not finite (", data->features[i], ")");
  return data.release();
}

}  // namespace layerprune
