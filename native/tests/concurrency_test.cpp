// The C API from many threads at once (issue 14): a shared model or exported model gives every
// thread exactly its single-threaded logits; a training thread and inference threads on one model
// do not corrupt each other; two models trained on two threads give the runs each gives alone
// (no hidden shared state). bin/test runs this binary under ThreadSanitizer as well (with one
// native thread: libgomp is not instrumented, so only the C API's own synchronisation is checked).
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "layerprune/api.h"
#include "layerprune/api_export.h"
#include "test_util.h"

namespace layerprune {
namespace {

using ModelPtr = std::unique_ptr<Model, void (*)(Model*)>;
using ExportPtr = std::unique_ptr<ExportedModel, void (*)(ExportedModel*)>;
using TrainerPtr = std::unique_ptr<Trainer, void (*)(Trainer*)>;

constexpr int64_t kInput = 12;
constexpr int32_t kClasses = 3;
constexpr int kThreads = 4;
constexpr int kCalls = 40;
// Batch sizes the calls cycle through: different rows need different plans, so threads that
// interleave them would overwrite each other's buffers without the model's lock.
constexpr int64_t kRows[] = {1, 7, 16, 33};

ModelPtr mlp(int64_t seed) {
  MlpSpec spec{kInput, 16, 4, kClasses, seed, DEVICE_CPU};
  return ModelPtr(model_create_mlp(&spec), model_destroy);
}

std::vector<float> features(int64_t rows, uint64_t seed) {
  Rng rng(seed);
  return test::random_vector(rows * kInput, rng);
}

// logits[r] of each batch size, computed by `predict` on this thread alone.
template <typename Predict>
std::vector<std::vector<float>> reference(Predict predict) {
  std::vector<std::vector<float>> out;
  for (int64_t rows : kRows) {
    const std::vector<float> x = features(rows, uint64_t(rows));
    std::vector<float> y(size_t(rows * kClasses));
    predict(x.data(), rows, y.data());
    out.push_back(y);
  }
  return out;
}

// kThreads threads x kCalls calls of `predict`, each compared bit for bit with `expected`.
template <typename Predict>
int mismatches_under_concurrency(Predict predict, const std::vector<std::vector<float>>& expected) {
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        const size_t k = size_t(t + c) % std::size(kRows);
        const int64_t rows = kRows[k];
        const std::vector<float> x = features(rows, uint64_t(rows));
        std::vector<float> y(size_t(rows * kClasses));
        predict(x.data(), rows, y.data());
        if (std::memcmp(y.data(), expected[k].data(), y.size() * sizeof(float)) != 0) ++bad;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  return bad.load();
}

TEST(Concurrency, SharedModelPredictsExactlyTheSingleThreadedLogits) {
  set_num_threads(1);
  const ModelPtr m = mlp(3);
  auto predict = [&](const float* x, int64_t rows, float* y) { model_predict(m.get(), x, rows, EVAL_EXPECTED, y); };
  const auto expected = reference(predict);
  EXPECT_EQ(mismatches_under_concurrency(predict, expected), 0);
}

TEST(Concurrency, SharedExportedModelPredictsExactlyTheSingleThreadedLogits) {
  set_num_threads(1);
  const ModelPtr m = mlp(4);
  const ExportPtr e(exported_from_model(m.get()), exported_destroy);
  auto predict = [&](const float* x, int64_t rows, float* y) { exported_predict(e.get(), x, rows, y); };
  const auto expected = reference(predict);
  EXPECT_EQ(mismatches_under_concurrency(predict, expected), 0);
}

// Trains `m` on `data` for `steps` steps (one epoch at a time) and returns the final logits of a
// fixed batch.
std::vector<float> train_and_predict(Model* m, const Dataset* data, int64_t steps) {
  TrainConfig c;
  train_config_defaults(&c);
  c.batch_size = 16;
  c.total_steps = steps;
  c.seed = 5;
  const TrainerPtr t(trainer_create(m, &c), trainer_destroy);
  StepStats stats{};
  for (int64_t done = 0; done < steps;) {
    const int64_t n = trainer_begin_epoch(t.get(), data);
    for (int64_t b = 0; b < n && done < steps; ++b, ++done) trainer_step(t.get(), data, b, &stats);
  }
  const std::vector<float> x = features(8, 99);
  std::vector<float> y(size_t(8 * kClasses));
  model_predict(m, x.data(), 8, EVAL_EXPECTED, y.data());
  return y;
}

TEST(Concurrency, TwoModelsTrainedOnTwoThreadsGiveTheirSequentialRuns) {
  set_num_threads(1);
  const auto data = test::blobs(128, kInput, kClasses, 8);
  const ModelPtr a0 = mlp(10), b0 = mlp(11);
  const std::vector<float> alone_a = train_and_predict(a0.get(), data.get(), 30);
  const std::vector<float> alone_b = train_and_predict(b0.get(), data.get(), 30);
  const ModelPtr a = mlp(10), b = mlp(11);
  std::vector<float> together_a, together_b;
  std::thread ta([&] { together_a = train_and_predict(a.get(), data.get(), 30); });
  std::thread tb([&] { together_b = train_and_predict(b.get(), data.get(), 30); });
  ta.join();
  tb.join();
  EXPECT_EQ(std::memcmp(alone_a.data(), together_a.data(), alone_a.size() * sizeof(float)), 0);
  EXPECT_EQ(std::memcmp(alone_b.data(), together_b.data(), alone_b.size() * sizeof(float)), 0);
}

// One thread trains while others predict, read thetas and section info of the same model: every
// inference call sees the weights between two steps (finite logits of the right size), and the
// training run itself is the one it gives without the readers (the readers change nothing).
TEST(Concurrency, InferenceDuringTrainingSeesWholeStepsAndChangesNothing) {
  set_num_threads(1);
  const auto data = test::blobs(128, kInput, kClasses, 9);
  const ModelPtr alone = mlp(12);
  const std::vector<float> expected = train_and_predict(alone.get(), data.get(), 40);

  const ModelPtr m = mlp(12);
  std::atomic<bool> done{false};
  std::atomic<int> bad{0}, calls{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 3; ++t) {
    readers.emplace_back([&, t] {
      const std::vector<float> x = features(kRows[t], uint64_t(t));
      std::vector<float> y(size_t(kRows[t] * kClasses));
      while (!done.load()) {
        model_predict(m.get(), x.data(), kRows[t], t == 0 ? EVAL_DETERMINISTIC : EVAL_EXPECTED, y.data());
        for (float v : y) bad += std::isfinite(v) ? 0 : 1;
        SectionInfo info{};
        model_section_info(m.get(), t, &info);
        const double theta = model_theta(m.get(), t);
        bad += (theta >= 0.0 && theta <= 1.0 && info.theta == info.theta) ? 0 : 1;
        bad += model_params(m.get()) > 0 ? 0 : 1;
        ++calls;
      }
    });
  }
  const std::vector<float> trained = train_and_predict(m.get(), data.get(), 40);
  done = true;
  for (std::thread& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(calls.load(), 0);
  EXPECT_EQ(std::memcmp(trained.data(), expected.data(), expected.size() * sizeof(float)), 0);
}

}  // namespace
}  // namespace layerprune
