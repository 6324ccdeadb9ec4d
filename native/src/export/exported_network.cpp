#include "export/exported_network.h"

#include <algorithm>

#include "core/error.h"
#include "core/threads.h"

namespace layerprune {
namespace {
constexpr int64_t kChunk = 512;  // rows per forward in predict/evaluate, as model evaluation
}

ExportedNetwork::ExportedNetwork(ExportGraph graph, std::unique_ptr<Backend> backend)
    : graph_(std::move(graph)), backend_(std::move(backend)) {
  graph_.validate();
  for (const ExportTensor& t : graph_.tensors) {
    weights_.emplace_back(*backend_, memory_, static_cast<int64_t>(t.data.size()));
    backend_->to_device(weights_.back().data(), t.data.data(), sizeof(float) * t.data.size());
  }
  plan_slots();
}

// Liveness: a value's slot is free again after its last reader ran; a flatten's output
// shares its input's slot (it is the same memory). An op never writes a slot it reads.
void ExportedNetwork::plan_slots() {
  const size_t V = graph_.values.size();
  std::vector<int32_t> readers(V, 0);
  for (const ExportOp& op : graph_.ops) {
    ++readers[op.input];
    if (op.input2 >= 0) ++readers[op.input2];
  }
  ++readers[graph_.output];  // read by the caller
  slot_of_.assign(V, -1);
  std::vector<int32_t> refs;  // pending reads per slot
  std::vector<int32_t> free_slots;
  slot_of_[0] = 0;
  refs.push_back(readers[0]);
  for (const ExportOp& op : graph_.ops) {
    int32_t slot;
    if (op.kind == ExportOpKind::kFlatten) {
      slot = slot_of_[op.input];
    } else if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
    } else {
      slot = static_cast<int32_t>(refs.size());
      refs.push_back(0);
    }
    slot_of_[op.output] = slot;
    refs[slot] += readers[op.output];
    for (int32_t in : {op.input, op.input2})
      if (in >= 0 && --refs[slot_of_[in]] == 0 && slot_of_[in] != 0) free_slots.push_back(slot_of_[in]);
    // Slot 0 (the input buffer) is never reused: the caller writes it for every batch.
  }
  slot_count_ = static_cast<int32_t>(refs.size());
}

void ExportedNetwork::ensure_capacity(int64_t rows) {
  require(rows > 0, "could not size the workspace because the batch has ", rows, " rows");
  if (rows <= capacity_) return;
  const int64_t per = graph_.max_activation();
  slots_.clear();
  for (int32_t s = 0; s < slot_count_; ++s) slots_.emplace_back(*backend_, memory_, rows * per);
  argmax_ = DeviceArray<int32_t>(*backend_, memory_, rows * per);
  labels_ = DeviceArray<int32_t>(*backend_, memory_, rows);
  capacity_ = rows;
}

const float* ExportedNetwork::forward(int64_t N) {
  require(N > 0 && N <= capacity_, "could not run the exported network because the batch has ", N,
          " rows and the workspace holds ", capacity_);
  Backend& be = *backend_;
  const auto buf = [&](int32_t v) { return slots_[slot_of_[v]].data(); };
  for (const ExportOp& op : graph_.ops) {
    const ExportShape& in = graph_.values[op.input];
    const ExportShape& out = graph_.values[op.output];
    const float* x = buf(op.input);
    float* y = buf(op.output);
    const float* bias = op.bias >= 0 ? weights_[op.bias].data() : nullptr;
    const int64_t rows_out = N * out.h * out.w;
    switch (op.kind) {
      case ExportOpKind::kDense:
        be.linear_forward(x, weights_[op.weight].data(), bias, y, N, out.c, in.c, op.relu);
        break;
      case ExportOpKind::kConv:
        be.conv_forward(ConvGeometry{N, in.c, in.h, in.w, out.c, op.kernel, op.kernel, op.stride, op.pad}, x,
                        weights_[op.weight].data(), y);
        if (bias)
          be.add_channel_bias(y, bias, rows_out, out.c, op.relu);
        else if (op.relu)
          be.relu_forward(y, y, rows_out * out.c);
        break;
      case ExportOpKind::kAdd:
        be.add_scaled(x, 1.f, buf(op.input2), y, rows_out * out.c, op.relu);
        break;
      case ExportOpKind::kMaxPool: {
        PoolGeometry g;
        g.N = N, g.C = in.c, g.H = in.h, g.W = in.w;
        g.kernel = op.kernel, g.stride = op.stride, g.pad = op.pad, g.ceil = op.ceil;
        be.maxpool_forward(g, x, y, argmax_.data());
        break;
      }
      case ExportOpKind::kGlobalAvgPool:
        be.global_avgpool_forward(x, y, N, in.h * in.w, in.c);
        break;
      case ExportOpKind::kFlatten:
        break;  // NHWC (N, H, W, C) is (N, H*W*C) in memory already: same slot
    }
  }
  return buf(graph_.output);
}

void ExportedNetwork::predict(const float* features, int64_t count, float* logits) {
  apply_thread_config();
  require(features != nullptr && logits != nullptr && count > 0,
          "could not predict because the input is empty or null");
  const int64_t input = input_size(), classes = graph_.classes;
  ensure_capacity(std::min(kChunk, count));
  for (int64_t start = 0; start < count; start += capacity_) {
    const int64_t rows = std::min(capacity_, count - start);
    backend_->to_device(input_buffer(), features + start * input, sizeof(float) * rows * input);
    const float* out = forward(rows);
    backend_->to_host(logits + start * classes, out, sizeof(float) * rows * classes);
  }
}

EvalStats ExportedNetwork::evaluate(const Dataset& data) {
  apply_thread_config();
  require(data.dim == input_size(), "could not evaluate because the data set has ", data.dim,
          " features per sample but the exported network expects ", input_size());
  require(data.classes <= classes(), "could not evaluate because the data set has ", data.classes,
          " classes but the exported network has ", classes(), " outputs");
  require(data.count > 0, "could not evaluate because the data set is empty");
  ensure_capacity(std::min(kChunk, data.count));
  double loss_sum = 0.0;
  int64_t correct_sum = 0;
  for (int64_t start = 0; start < data.count; start += capacity_) {
    const int64_t rows = std::min(capacity_, data.count - start);
    backend_->to_device(input_buffer(), &data.features[start * data.dim], sizeof(float) * rows * data.dim);
    backend_->to_device(labels_.data(), &data.labels[start], sizeof(int32_t) * rows);
    const float* out = forward(rows);
    int64_t correct = 0;
    loss_sum += backend_->softmax_cross_entropy(out, labels_.data(), rows, classes(), nullptr, &correct) * double(rows);
    correct_sum += correct;
  }
  return {loss_sum / double(data.count), double(correct_sum) / double(data.count), data.count};
}

}  // namespace layerprune
