// The batch prefetcher: a batch prepared on the worker equals the one prepared on the
// training thread, so training with prefetch on and off is bit-identical (an MLP and an
// augmented ResNet over two epochs, batches also taken out of order), and a checkpoint
// taken in the middle of an epoch still resumes bit-exactly.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "api/handles.h"
#include "layerprune/api.h"
#include "layerprune/api_checkpoint.h"
#include "method/augment.h"
#include "method/batch_prefetcher.h"
#include "method/trainer.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

Architecture tiny_resnet() { return test::conv_arch({2, 6, 6}, 4, {{4, 2, 1}, {8, 1, 2}}, 3); }

AugmentSpec image_augment(int64_t seed) {
  AugmentSpec s;
  s.on = true;
  s.channels = 2;
  s.height = 6;
  s.width = 6;
  s.pad = 2;
  s.flip = true;
  s.seed = seed;
  return s;
}

std::vector<int64_t> shuffled(int64_t n, uint64_t seed) {
  std::vector<int64_t> order(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  Rng rng(seed);
  for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[rng.below(uint64_t(i + 1))]);
  return order;
}

bool same_batch(const HostBatch& a, const HostBatch& b, int64_t rows, int64_t dim) {
  return std::memcmp(a.x.data(), b.x.data(), sizeof(float) * rows * dim) == 0 &&
         std::memcmp(a.y.data(), b.y.data(), sizeof(int32_t) * rows) == 0;
}

TEST(BatchPrefetcher, PrefetchedBatchEqualsTheOnePreparedOnTheSpot) {
  auto data = test::blobs(40, 72, 3, 1);
  const std::vector<int64_t> order = shuffled(40, 2);
  const AugmentSpec augment = image_augment(5);
  BatchPrefetcher prefetcher(8, 72, augment);
  prefetcher.set_enabled(true);
  HostBatch expected{std::vector<float>(8 * 72), std::vector<int32_t>(8)};
  for (int64_t b = 0; b < 4; ++b) {
    const BatchRequest next{data.get(), order.data(), 1, b + 1, 8, 8, 10 + b + 1};
    const BatchRequest now{data.get(), order.data(), 1, b, 8, 8, 10 + b};
    const HostBatch& got = prefetcher.acquire(now);
    prepare_batch(now, augment, expected);
    EXPECT_TRUE(same_batch(got, expected, 8, 72)) << "batch " << b;
    prefetcher.prefetch(next);
  }
  // The labels follow the permutation; the features are augmented copies of those rows.
  const BatchRequest last{data.get(), order.data(), 1, 4, 8, 8, 14};
  const HostBatch& got = prefetcher.acquire(last);
  for (int64_t r = 0; r < 8; ++r) EXPECT_EQ(got.y[r], data->labels[order[32 + r]]);
  // Another global step is another crop and flip draw, even for the same rows.
  prepare_batch(BatchRequest{data.get(), order.data(), 1, 4, 8, 8, 15}, augment, expected);
  EXPECT_FALSE(same_batch(got, expected, 8, 72));
}

TEST(BatchPrefetcher, ARanksShardIsItsRowsOfTheWholeBatchAugmentedAlike) {
  // Data-parallel training: rank r of W prepares rows [r B / W, (r + 1) B / W) of the global
  // batch with offset r B / W; each row must get the crop and flip it gets in the whole batch.
  auto data = test::blobs(40, 72, 3, 1);
  const std::vector<int64_t> order = shuffled(40, 2);
  const AugmentSpec augment = image_augment(5);
  HostBatch whole{std::vector<float>(16 * 72), std::vector<int32_t>(16)};
  prepare_batch(BatchRequest{data.get(), order.data(), 1, 1, 16, 16, 7}, augment, whole);
  for (int64_t world : {2, 4}) {
    const int64_t rows = 16 / world;
    for (int64_t rank = 0; rank < world; ++rank) {
      HostBatch shard{std::vector<float>(rows * 72), std::vector<int32_t>(rows)};
      BatchRequest r{data.get(), order.data(), 1, 1, 16, rows, 7};
      r.offset = rank * rows;
      prepare_batch(r, augment, shard);
      EXPECT_EQ(std::memcmp(shard.x.data(), whole.x.data() + rank * rows * 72, sizeof(float) * rows * 72), 0)
          << "rank " << rank << " of " << world;
      EXPECT_EQ(std::memcmp(shard.y.data(), whole.y.data() + rank * rows, sizeof(int32_t) * rows), 0);
    }
  }
}

TEST(BatchPrefetcher, AugmentSeedsDifferAcrossStepsAndSeeds) {
  EXPECT_NE(augment_seed(1, 0), augment_seed(1, 1));
  EXPECT_NE(augment_seed(1, 0), augment_seed(2, 0));
  EXPECT_NE(augment_seed(1, 2), augment_seed(2, 1));
  EXPECT_EQ(augment_seed(7, 123), augment_seed(7, 123));
}

// Per step losses, then every state tensor, theta and counter at the end.
struct TrainedRun {
  std::vector<double> losses;
  std::vector<std::vector<float>> tensors;
  std::vector<double> theta;
  double flops = 0;
};

// Three epochs; the second takes its batches in reverse order, so no prefetched batch
// matches and every one is prepared on the training thread.
TrainedRun train(GatedNetwork& model, const TrainConfig& config, const Dataset& data, bool prefetch) {
  TrainedRun out;
  TrainingSession session(model, config);
  session.set_prefetch(prefetch);
  EXPECT_EQ(session.prefetch(), prefetch);
  for (int epoch = 0; epoch < 3; ++epoch) {
    const int64_t steps = session.begin_epoch(data);
    for (int64_t k = 0; k < steps; ++k)
      out.losses.push_back(session.step(data, epoch == 1 ? steps - 1 - k : k).loss);
  }
  session.finish();
  for (const StateTensor& st : model.state_tensors()) {
    std::vector<float> host(static_cast<size_t>(st.count));
    model.backend().to_host(host.data(), st.data, sizeof(float) * host.size());
    out.tensors.push_back(std::move(host));
  }
  for (int32_t l = 0; l < model.sections(); ++l) out.theta.push_back(model.gate(l).theta);
  out.flops = session.cumulative_flops();
  return out;
}

void expect_identical(const TrainedRun& a, const TrainedRun& b) {
  EXPECT_EQ(a.losses, b.losses);
  EXPECT_EQ(a.theta, b.theta);
  EXPECT_EQ(a.flops, b.flops);
  ASSERT_EQ(a.tensors.size(), b.tensors.size());
  for (size_t i = 0; i < a.tensors.size(); ++i) EXPECT_EQ(a.tensors[i], b.tensors[i]) << "state tensor " << i;
}

TrainConfig gated_config() {
  TrainConfig c = default_train_config();
  c.batch_size = 16;
  c.lambda = 2.0;
  c.eta_theta = 0.5;
  c.total_steps = 18;
  c.seed = 3;
  return c;
}

TEST(TrainerPrefetch, MlpRunIsTheSameWithPrefetchOnAndOff) {
  set_num_threads(1);
  auto data = test::blobs(100, 12, 3, 4);  // 6 full batches, the last 4 rows dropped
  const Architecture arch = test::small_arch(12, 16, 4, 3);
  Network on(make_cpu_backend(), arch, 9), off(make_cpu_backend(), arch, 9);
  const TrainedRun a = train(on, gated_config(), *data, true), b = train(off, gated_config(), *data, false);
  EXPECT_EQ(a.losses.size(), 18u);
  expect_identical(a, b);
}

TEST(TrainerPrefetch, AugmentedResNetRunIsTheSameWithPrefetchOnAndOff) {
  set_num_threads(1);
  const Architecture arch = tiny_resnet();
  auto data = test::blobs(64, arch.input.size(), 3, 5);
  TrainConfig c = gated_config();
  c.augment_pad = 2;
  c.augment_flip = 1;
  c.weight_decay = 5e-4;
  Network on(make_cpu_backend(), arch, 2), off(make_cpu_backend(), arch, 2);
  const TrainedRun a = train(on, c, *data, true), b = train(off, c, *data, false);
  expect_identical(a, b);
  // The augmentation is really on: without it the run differs.
  TrainConfig plain = c;
  plain.augment_pad = 0;
  plain.augment_flip = 0;
  Network unaugmented(make_cpu_backend(), arch, 2);
  EXPECT_NE(train(unaugmented, plain, *data, true).losses, a.losses);
}

// Through the C API, as the Java trainer and the CLI run it (prefetch on unless
// LAYERPRUNE_PREFETCH=0): save after one and a half epochs, restore into new handles,
// finish the epoch and run one more; the result equals the uninterrupted run.
TEST(TrainerPrefetch, CheckpointInTheMiddleOfAnEpochResumesBitExactly) {
  set_num_threads(1);
  using ModelPtr = std::unique_ptr<Model, void (*)(Model*)>;
  using TrainerPtr = std::unique_ptr<Trainer, void (*)(Trainer*)>;
  using FilePtr = std::unique_ptr<ContainerFile, void (*)(ContainerFile*)>;
  auto data = test::blobs(48, 3 * 8 * 8, 3, 6);
  const Dataset* d = data.get();
  TrainConfig c = gated_config();
  c.batch_size = 8;  // 6 batches an epoch
  c.augment_pad = 1;
  c.augment_flip = 1;
  const ResNetSpec spec{8, 3, 8, 8, 3, 0, 13};
  StepStats stats{};
  auto run_batches = [&](Trainer* t, int64_t from, int64_t to, std::vector<double>& losses) {
    for (int64_t b = from; b < to; ++b) {
      trainer_step(t, d, b, &stats);
      losses.push_back(stats.loss);
    }
  };

  std::vector<double> straight_losses;
  ModelPtr straight(model_create_resnet(&spec), model_destroy);
  TrainerPtr ts(trainer_create(straight.get(), &c), trainer_destroy);
  for (int epoch = 0; epoch < 3; ++epoch) run_batches(ts.get(), 0, trainer_begin_epoch(ts.get(), d), straight_losses);

  std::vector<double> losses;
  ModelPtr first(model_create_resnet(&spec), model_destroy);
  TrainerPtr tf(trainer_create(first.get(), &c), trainer_destroy);
  run_batches(tf.get(), 0, trainer_begin_epoch(tf.get(), d), losses);
  const int64_t steps = trainer_begin_epoch(tf.get(), d);
  run_batches(tf.get(), 0, steps / 2, losses);
  const std::string path = "/tmp/lp_prefetch_test_" + std::to_string(getpid()) + ".lpckpt";
  checkpoint_save(first.get(), tf.get(), "", path.c_str());
  tf.reset();
  first.reset();

  FilePtr file(checkpoint_read(path.c_str()), container_destroy);
  ModelPtr resumed(checkpoint_restore_model(file.get()), model_destroy);
  TrainerPtr tr(checkpoint_restore_trainer(file.get(), resumed.get()), trainer_destroy);
  run_batches(tr.get(), steps / 2, steps, losses);
  run_batches(tr.get(), 0, trainer_begin_epoch(tr.get(), d), losses);
  std::remove(path.c_str());

  EXPECT_EQ(losses, straight_losses);
  EXPECT_EQ(trainer_cumulative_flops(tr.get()), trainer_cumulative_flops(ts.get()));
  for (int32_t l = 0; l < straight->net->sections(); ++l)
    EXPECT_EQ(resumed->net->gate(l).theta, straight->net->gate(l).theta) << "section " << l;
  const std::vector<StateTensor> sa = straight->net->state_tensors(), sb = resumed->net->state_tensors();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) {
    std::vector<float> ha(static_cast<size_t>(sa[i].count)), hb(ha.size());
    straight->net->backend().to_host(ha.data(), sa[i].data, sizeof(float) * ha.size());
    resumed->net->backend().to_host(hb.data(), sb[i].data, sizeof(float) * hb.size());
    EXPECT_EQ(ha, hb) << sa[i].name;
  }
}

}  // namespace
}  // namespace layerprune
