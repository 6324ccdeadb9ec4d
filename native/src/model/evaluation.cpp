#include "model/evaluation.h"

#include <algorithm>
#include <vector>

#include "core/error.h"
#include "core/threads.h"

namespace layerprune {
namespace {

constexpr int64_t kEvalChunk = 512;

void check_mode(int32_t eval_mode) {
  require(eval_mode == EVAL_EXPECTED || eval_mode == EVAL_DETERMINISTIC,
          "evaluation mode ", eval_mode, " is unknown (0 = expected, 1 = deterministic)");
}

}  // namespace

EvalStats evaluate(GatedNetwork& model, const Dataset& data, int32_t eval_mode) {
  apply_thread_config();
  check_mode(eval_mode);
  require(data.dim == model.input_size(), "could not evaluate because the data set has ", data.dim,
          " features per sample but the model expects ", model.input_size());
  require(data.classes <= model.classes(), "could not evaluate because the data set has ", data.classes,
          " classes but the model has ", model.classes(), " outputs");
  model.ensure_capacity(std::min<int64_t>(kEvalChunk, data.count));
  std::vector<float> gates;
  model.eval_gates(eval_mode, gates);
  Backend& be = model.backend();
  double loss_sum = 0.0;
  int64_t correct_sum = 0;
  for (int64_t start = 0; start < data.count; start += model.capacity()) {
    const int64_t rows = std::min(model.capacity(), data.count - start);
    be.to_device(model.input_buffer(), &data.features[start * data.dim], sizeof(float) * rows * data.dim);
    be.to_device(model.label_buffer(), &data.labels[start], sizeof(int32_t) * rows);
    model.forward(rows, gates, GatedNetwork::kInference);
    int64_t correct = 0;
    loss_sum += model.loss(rows, false, &correct) * double(rows);
    correct_sum += correct;
  }
  return {loss_sum / double(data.count), double(correct_sum) / double(data.count), data.count};
}

void predict(GatedNetwork& model, const float* features, int64_t count, int32_t eval_mode,
             float* logits) {
  apply_thread_config();
  check_mode(eval_mode);
  require(features != nullptr && logits != nullptr && count > 0,
          "could not predict because the input is empty or null");
  const int64_t input = model.input_size(), classes = model.classes();
  model.ensure_capacity(std::min<int64_t>(kEvalChunk, count));
  std::vector<float> gates;
  model.eval_gates(eval_mode, gates);
  Backend& be = model.backend();
  for (int64_t start = 0; start < count; start += model.capacity()) {
    const int64_t rows = std::min(model.capacity(), count - start);
    be.to_device(model.input_buffer(), features + start * input, sizeof(float) * rows * input);
    const float* out = model.forward(rows, gates, GatedNetwork::kInference);
    be.to_host(logits + start * classes, out, sizeof(float) * rows * classes);
  }
}

}  // namespace layerprune
