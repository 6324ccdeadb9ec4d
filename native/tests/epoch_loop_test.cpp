// The epoch loop (method/epoch_loop.h), the one loop over a run's epochs and batches: it is bit
// for bit the hand loop of begin_epoch/step it replaced, whatever chunks it runs in; its epoch
// statistics are the sums of the steps' numbers; it stops before the next step when asked, and a
// stop between epochs or after the last step is told apart; a resumed run continues its count;
// the C API's trainer_epoch_* calls are the same loop.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <thread>

#include "layerprune/api.h"
#include "method/epoch_loop.h"
#include "method/trainer.h"
#include "model/architecture_json.h"
#include "test_util.h"

namespace layerprune {
namespace {

TrainConfig loop_config() {
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.lambda = 200.0;  // tau far above what a section buys here, and the plain rule acts at once:
  c.pruning_rule = PRUNING_RULE_PLAIN;  // sections are pruned within the run
  c.eta_theta = 0.2;
  c.patience = 5;
  c.total_steps = 3 * (500 / 32);
  return c;
}

bool same_bits(const StepStats& a, const StepStats& b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct LoopRun {
  std::vector<StepStats> steps;
  std::vector<EpochStats> epochs;  // as each epoch ended
  std::vector<float> weights;
  std::vector<double> thetas;
  double flops = 0;
};

// The loop this driver replaced (Trainer.fit's and native_train's before issue 13): begin_epoch,
// then step(b) for every batch, the epoch's loss and accuracy summed in step order.
LoopRun hand_loop(const Dataset& data, int epochs) {
  Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 3);
  TrainingSession t(m, loop_config());
  LoopRun r;
  for (int e = 1; e <= epochs; ++e) {
    const int64_t steps = t.begin_epoch(data);
    double loss = 0, accuracy = 0;
    EpochStats es{};
    for (int64_t b = 0; b < steps; ++b) {
      const StepStats s = t.step(data, b);
      r.steps.push_back(s);
      loss += s.loss;
      accuracy += s.accuracy;
      es.flops += s.step_flops;
      es.pruned += s.pruned_this_step;
    }
    es.epoch = e;
    es.steps = es.steps_done = steps;
    es.loss = loss / double(steps);
    es.accuracy = accuracy / double(steps);
    r.epochs.push_back(es);
  }
  r.weights = test::all_weights(m);
  for (int32_t l = 0; l < m.sections(); ++l) r.thetas.push_back(m.gate(l).theta);
  r.flops = t.cumulative_flops();
  return r;
}

// The same run through EpochLoop, `chunk` steps per run() call.
LoopRun driven(const Dataset& data, int epochs, int64_t chunk) {
  Network m(make_cpu_backend(), test::small_arch(10, 32, 6, 4), 3);
  TrainingSession t(m, loop_config());
  EpochLoop loop(t);
  loop.start(epochs);
  LoopRun r;
  std::vector<StepStats> out(static_cast<size_t>(chunk));
  while (loop.begin_epoch(data)) {
    int64_t n;
    while ((n = loop.run(data, chunk, out.data())) > 0) r.steps.insert(r.steps.end(), out.begin(), out.begin() + n);
    EXPECT_EQ(loop.stats().complete, 1);
    r.epochs.push_back(loop.stats());
  }
  EXPECT_EQ(loop.stats().stopped, 0) << "nothing asked it to stop";
  EXPECT_EQ(loop.epochs_done(), epochs);
  r.weights = test::all_weights(m);
  for (int32_t l = 0; l < m.sections(); ++l) r.thetas.push_back(m.gate(l).theta);
  r.flops = t.cumulative_flops();
  return r;
}

TEST(EpochLoop, StepsPerEpochAreFullBatchesAndAtLeastOne) {
  EXPECT_EQ(steps_per_epoch(500, 32), 15);  // the last 20 rows are dropped
  EXPECT_EQ(steps_per_epoch(512, 32), 16);
  EXPECT_EQ(steps_per_epoch(10, 32), 1);    // a set smaller than a batch is one batch of itself
  EXPECT_EQ(epoch_steps(500, 32), 15);      // the C API's is the same function
  EXPECT_THROW(steps_per_epoch(500, 0), Error);
}

TEST(EpochLoop, IsBitForBitTheHandLoopInAnyChunks) {
  auto data = test::blobs(500, 10, 4, 21);
  const LoopRun ref = hand_loop(*data, 3);
  ASSERT_EQ(ref.steps.size(), 45u);
  int32_t pruned = 0;
  for (const StepStats& s : ref.steps) pruned += s.pruned_this_step;
  EXPECT_GT(pruned, 0) << "the run should prune, so that the prune counts are checked";
  for (int64_t chunk : {int64_t(1), int64_t(4), int64_t(15), int64_t(1000)}) {
    SCOPED_TRACE("chunk " + std::to_string(chunk));
    const LoopRun r = driven(*data, 3, chunk);
    ASSERT_EQ(r.steps.size(), ref.steps.size());
    for (size_t i = 0; i < r.steps.size(); ++i) EXPECT_TRUE(same_bits(r.steps[i], ref.steps[i])) << "step " << i;
    EXPECT_EQ(r.weights, ref.weights);
    EXPECT_EQ(r.thetas, ref.thetas);
    EXPECT_EQ(r.flops, ref.flops);
    ASSERT_EQ(r.epochs.size(), ref.epochs.size());
    for (size_t e = 0; e < r.epochs.size(); ++e) {
      const EpochStats &a = r.epochs[e], &b = ref.epochs[e];
      EXPECT_EQ(a.epoch, b.epoch);
      EXPECT_EQ(a.epochs, 3);
      EXPECT_EQ(a.steps, b.steps);
      EXPECT_EQ(a.steps_done, b.steps);
      EXPECT_EQ(a.loss, b.loss) << "epoch " << a.epoch;  // the same sums in the same order: exactly equal
      EXPECT_EQ(a.accuracy, b.accuracy);
      EXPECT_EQ(a.flops, b.flops);
      EXPECT_EQ(a.pruned, b.pruned);
      EXPECT_EQ(a.last_step, int64_t((e + 1) * 15));
      EXPECT_EQ(a.live_sections, ref.steps[(e + 1) * 15 - 1].live_sections);
    }
  }
}

TEST(EpochLoop, StopEndsTheRunBeforeTheNextStep) {
  auto data = test::blobs(500, 10, 4, 22);
  Network m(make_cpu_backend(), test::small_arch(10, 32, 2, 4), 3);
  TrainingSession t(m, loop_config());
  EpochLoop loop(t);
  loop.start(5);
  StepStats s{};
  ASSERT_TRUE(loop.begin_epoch(*data));
  loop.run_epoch(*data);  // epoch 1 complete
  ASSERT_TRUE(loop.begin_epoch(*data));
  for (int i = 0; i < 3; ++i) ASSERT_EQ(loop.run(*data, 1, &s), 1);
  EXPECT_EQ(s.step, 18);
  loop.request_stop();  // e.g. a listener of step 18
  EXPECT_EQ(loop.run(*data, 100, &s), 0) << "no step after a stop";
  EXPECT_EQ(t.steps_done(), 18);
  EXPECT_EQ(loop.stats().stopped, 1);
  EXPECT_EQ(loop.stats().complete, 0) << "the partial epoch is not done";
  EXPECT_EQ(loop.stats().steps_done, 3);
  EXPECT_EQ(loop.stats().epoch, 2);
  EXPECT_EQ(loop.epochs_done(), 1);
  EXPECT_FALSE(loop.begin_epoch(*data));
  EXPECT_EQ(t.steps_done(), 18);

  // From another thread, while a chunk of a whole epoch runs: the run ends after the step in flight.
  loop.start(100000);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    loop.request_stop();
  });
  int64_t ran = 0;
  while (loop.begin_epoch(*data)) ran += loop.run_epoch(*data);
  stopper.join();
  EXPECT_EQ(loop.stats().stopped, 1);
  EXPECT_LT(ran, int64_t(100000) * 15);
  EXPECT_EQ(t.steps_done(), 18 + ran);
}

TEST(EpochLoop, StopBetweenEpochsAndAfterTheLastOne) {
  auto data = test::blobs(100, 10, 4, 23);  // 3 steps per epoch
  Network m(make_cpu_backend(), test::small_arch(10, 16, 2, 4), 3);
  TrainingSession t(m, loop_config());
  EpochLoop loop(t);
  loop.start(2);
  ASSERT_TRUE(loop.begin_epoch(*data));
  EXPECT_EQ(loop.stats().steps, 3);
  EXPECT_TRUE(std::isnan(loop.stats().loss)) << "no step yet";
  EXPECT_EQ(loop.stats().live_sections, -1);
  EXPECT_EQ(loop.run_epoch(*data), 3);
  loop.request_stop();  // during the last step of epoch 1 (e.g. an epoch listener): epoch 1 counts
  EXPECT_EQ(loop.stats().complete, 1);
  EXPECT_FALSE(loop.begin_epoch(*data));
  EXPECT_EQ(loop.stats().stopped, 1) << "an epoch was left";
  EXPECT_EQ(loop.stats().epoch, 1);

  loop.start(2, 1);  // a resumed run: epoch 1 done
  ASSERT_TRUE(loop.begin_epoch(*data));
  EXPECT_EQ(loop.stats().epoch, 2);
  EXPECT_EQ(loop.run(*data, 2), 2);
  EXPECT_EQ(loop.run(*data, 2), 1);
  loop.request_stop();  // after the last step of the last epoch: the run ended, not stopped
  EXPECT_FALSE(loop.begin_epoch(*data));
  EXPECT_EQ(loop.stats().stopped, 0);
  EXPECT_EQ(loop.stats().complete, 1);
  EXPECT_EQ(loop.epochs_done(), 2);
  EXPECT_EQ(t.steps_done(), 6);

  loop.start(1);  // run() needs a begun epoch
  EXPECT_THROW(loop.run(*data, 1), Error);
  EXPECT_THROW(loop.start(2, 3), Error);
}

TEST(EpochLoop, CApiIsTheSameLoop) {
  auto data = test::blobs(500, 10, 4, 21);
  const LoopRun ref = hand_loop(*data, 3);
  const Architecture a = test::small_arch(10, 32, 6, 4);
  std::unique_ptr<Model, void (*)(Model*)> m(model_create(to_json(a).c_str(), 3, DEVICE_CPU), model_destroy);
  const TrainConfig c = loop_config();
  std::unique_ptr<Trainer, void (*)(Trainer*)> t(trainer_create(m.get(), &c), trainer_destroy);
  trainer_epochs_start(t.get(), 3, 0);
  EpochStats es{};
  StepStats s{};
  size_t i = 0;
  while (trainer_epoch_begin(t.get(), data.get(), &es)) {
    while (trainer_epoch_run(t.get(), data.get(), 1, &s, &es) == 1) {
      ASSERT_LT(i, ref.steps.size());
      EXPECT_TRUE(same_bits(s, ref.steps[i])) << "step " << i;
      ++i;
    }
    EXPECT_EQ(es.loss, ref.epochs[size_t(es.epoch - 1)].loss);
  }
  EXPECT_EQ(i, ref.steps.size());
  EXPECT_EQ(es.stopped, 0);
  EXPECT_EQ(trainer_cumulative_flops(t.get()), ref.flops);
  trainer_epoch_stop(t.get());
  trainer_epochs_start(t.get(), 4, 3);  // clears the request
  EXPECT_EQ(trainer_epoch_begin(t.get(), data.get(), &es), 1);
  trainer_epoch_stop(t.get());
  EXPECT_EQ(trainer_epoch_run(t.get(), data.get(), 5, nullptr, &es), 0);
  EXPECT_EQ(es.stopped, 1);
  EXPECT_EQ(trainer_epoch_begin(t.get(), data.get(), &es), 0);
}

}  // namespace
}  // namespace layerprune
