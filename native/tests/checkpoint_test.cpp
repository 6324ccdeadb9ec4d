// Checkpoints through the C API: a run resumed from a checkpoint equals the
// uninterrupted run bit for bit (MLP and a small ResNet, pruning included), and bad
// files raise errors that name the problem.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <functional>
#include <map>
#include <iterator>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "api/handles.h"
#include "core/error.h"
#include "core/rng.h"
#include "io/binary_container.h"
#include "layerprune/api.h"
#include "layerprune/api_checkpoint.h"
#include "model/architecture_json.h"

namespace layerprune {
namespace {

using ModelPtr = std::unique_ptr<Model, void (*)(Model*)>;
using TrainerPtr = std::unique_ptr<Trainer, void (*)(Trainer*)>;
using DatasetPtr = std::unique_ptr<Dataset, void (*)(Dataset*)>;
using FilePtr = std::unique_ptr<ContainerFile, void (*)(ContainerFile*)>;

DatasetPtr blobs(int64_t count, int64_t dim, int32_t classes, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> means(static_cast<size_t>(classes * dim));
  for (float& m : means) m = float(rng.normal());
  std::vector<float> x(static_cast<size_t>(count * dim));
  std::vector<int32_t> y(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    y[i] = int32_t(rng.below(classes));
    for (int64_t d = 0; d < dim; ++d) x[i * dim + d] = means[y[i] * dim + d] + float(rng.normal());
  }
  return DatasetPtr(dataset_create(x.data(), y.data(), count, dim, classes), dataset_destroy);
}

std::string temp_path(const char* name) {
  return std::string("/tmp/lp_ckpt_test_") + std::to_string(getpid()) + "_" + name;
}

// Every state tensor, gate and counter of a model and its trainer, as one comparable value.
struct Snapshot {
  std::vector<std::vector<float>> tensors;
  std::vector<std::string> names;
  std::vector<double> theta;
  std::vector<int64_t> pruned_at;
  int64_t steps = 0;
  double flops = 0, flops_unpruned = 0;
};

Snapshot snapshot(Model* m, Trainer* t) {
  Snapshot s;
  for (const StateTensor& st : m->net->state_tensors()) {
    std::vector<float> host(static_cast<size_t>(st.count));
    m->net->backend().to_host(host.data(), st.data, sizeof(float) * host.size());
    s.tensors.push_back(std::move(host));
    s.names.push_back(st.name);
  }
  for (int32_t l = 0; l < m->net->sections(); ++l) {
    s.theta.push_back(m->net->gate(l).theta);
    s.pruned_at.push_back(m->net->gate(l).pruned ? m->net->gate(l).pruned_at_step : -1);
  }
  s.steps = trainer_steps_done(t);
  s.flops = trainer_cumulative_flops(t);
  s.flops_unpruned = trainer_cumulative_flops_unpruned(t);
  return s;
}

void expect_identical(const Snapshot& a, const Snapshot& b) {
  ASSERT_EQ(a.names, b.names);
  for (size_t i = 0; i < a.tensors.size(); ++i)
    ASSERT_EQ(0, std::memcmp(a.tensors[i].data(), b.tensors[i].data(), sizeof(float) * a.tensors[i].size()))
        << a.names[i] << " differs";
  EXPECT_EQ(a.theta, b.theta);
  EXPECT_EQ(a.pruned_at, b.pruned_at);
  EXPECT_EQ(a.steps, b.steps);
  EXPECT_EQ(a.flops, b.flops);
  EXPECT_EQ(a.flops_unpruned, b.flops_unpruned);
}

// The state tensors of a model alone.
Snapshot snapshot_model(Model* m) {
  Snapshot s;
  for (const StateTensor& st : m->net->state_tensors()) {
    std::vector<float> host(static_cast<size_t>(st.count));
    m->net->backend().to_host(host.data(), st.data, sizeof(float) * host.size());
    s.tensors.push_back(std::move(host));
    s.names.push_back(st.name);
  }
  return s;
}

std::vector<double> run_epoch(Trainer* t, const Dataset* d) {
  std::vector<double> losses;
  StepStats stats{};
  const int64_t steps = trainer_begin_epoch(t, d);
  for (int64_t b = 0; b < steps; ++b) {
    trainer_step(t, d, b, &stats);
    losses.push_back(stats.loss);
  }
  return losses;
}

// Two epochs straight against one epoch, save, restore into new handles, one more.
void check_resume(const std::function<Model*()>& build, const TrainConfig& config, const Dataset* data) {
  ModelPtr straight(build(), model_destroy);
  TrainerPtr ts(trainer_create(straight.get(), &config), trainer_destroy);
  run_epoch(ts.get(), data);
  const std::vector<double> second_straight = run_epoch(ts.get(), data);
  // The configuration prunes during training, so the pruned set and history are covered.
  int32_t pruned_in_training = 0;
  for (int64_t at : snapshot(straight.get(), ts.get()).pruned_at) pruned_in_training += at >= 0;
  EXPECT_GT(pruned_in_training, 0);
  trainer_finish(ts.get());

  ModelPtr first(build(), model_destroy);
  TrainerPtr tf(trainer_create(first.get(), &config), trainer_destroy);
  run_epoch(tf.get(), data);
  const std::string path = temp_path("resume.lpckpt");
  checkpoint_save(first.get(), tf.get(), "{\"note\":\"metadata\"}", path.c_str());
  const Snapshot saved = snapshot(first.get(), tf.get());
  tf.reset();
  first.reset();

  FilePtr file(checkpoint_read(path.c_str()), container_destroy);
  EXPECT_STREQ(container_string(file.get(), "metadata"), "{\"note\":\"metadata\"}");
  ModelPtr resumed(checkpoint_restore_model(file.get()), model_destroy);
  TrainerPtr tr(checkpoint_restore_trainer(file.get(), resumed.get()), trainer_destroy);
  expect_identical(saved, snapshot(resumed.get(), tr.get()));
  const std::vector<double> second_resumed = run_epoch(tr.get(), data);
  trainer_finish(tr.get());
  EXPECT_EQ(second_straight, second_resumed);
  expect_identical(snapshot(straight.get(), ts.get()), snapshot(resumed.get(), tr.get()));
  std::remove(path.c_str());
}

// The plain rule prunes within the first epoch of a few steps; the evidence rule needs
// kMinEvidence estimates and 1 / kMaxThetaStep steps first, so its runs are longer (batch 8
// on 1600 rows: 200 steps an epoch) and its sections go in the second epoch, after the restore.
TrainConfig pruning_config(int32_t estimator, int32_t rule = PRUNING_RULE_PLAIN) {
  TrainConfig c = default_train_config();
  c.batch_size = rule == PRUNING_RULE_PLAIN ? 16 : 8;
  c.lambda = rule == PRUNING_RULE_PLAIN ? 4.0 : 1.0;  // strong prior: sections are pruned during the run
  c.eta_theta = rule == PRUNING_RULE_PLAIN ? 0.5 : 0.05;
  c.patience = 2;
  c.estimator = estimator;
  c.pruning_rule = rule;
  c.total_steps = rule == PRUNING_RULE_PLAIN ? 12 : 400;
  c.seed = 7;
  return c;
}

TEST(Checkpoint, ResumedMlpRunEqualsTheUninterruptedOne) {
  set_num_threads(1);
  const DatasetPtr data = blobs(96, 12, 3, 5);
  for (int32_t estimator : {ESTIMATOR_TWO_POINT, ESTIMATOR_SCORE_FUNCTION, ESTIMATOR_BUDGETED}) {
    SCOPED_TRACE(estimator);
    check_resume([] {
      MlpSpec spec{12, 16, 4, 3, 11};
      return model_create_mlp(&spec);
    }, pruning_config(estimator), data.get());
  }
  // The default estimator and rule: the evidence and the estimator's fits round-trip too.
  const DatasetPtr longer = blobs(1600, 12, 3, 5);
  check_resume([] {
    MlpSpec spec{12, 16, 4, 3, 11};
    return model_create_mlp(&spec);
  }, pruning_config(ESTIMATOR_BUDGETED, PRUNING_RULE_EVIDENCE), longer.get());
}

TEST(Checkpoint, ResumedResNetRunEqualsTheUninterruptedOne) {
  set_num_threads(1);
  const DatasetPtr data = blobs(48, 3 * 8 * 8, 3, 6);
  TrainConfig c = pruning_config(ESTIMATOR_TWO_POINT);
  c.augment_pad = 1;  // augmentation (its own stream, seeded by seed and step index) too
  c.augment_flip = 1;
  c.weight_decay = 5e-4;
  check_resume([] {
    ResNetSpec spec{8, 3, 8, 8, 3, 0, 13};
    return model_create_resnet(&spec);
  }, c, data.get());
}

// Models built from architecture descriptions resume bit-exactly too: a bottleneck network
// with an ImageNet-style stem (strided 7x7 conv, overlapping 3x3 max pool) and a residual MLP
// whose sections change width.
const char* kBottleneckJson = R"({"input": {"channels": 2, "height": 12, "width": 12},
  "stem": {"kind": "conv", "channels": 8, "kernel": 7, "stride": 2, "pool": {"kernel": 3, "stride": 2, "pad": 1}},
  "stages": [{"kind": "bottleneck", "widths": [2, 2]}, {"kind": "bottleneck", "width": 4, "blocks": 2, "stride": 2, "h": "relu"}],
  "head": {"classes": 3}})";
const char* kMlpJson = R"({"input": {"features": 12}, "stem": {"kind": "dense", "width": 24},
  "stages": [{"kind": "dense", "widths": [24, 16, 16, 8]}], "head": {"classes": 3}})";

TEST(Checkpoint, ResumedRunsOfDescribedArchitecturesEqualTheUninterruptedOnes) {
  set_num_threads(1);
  const DatasetPtr images = blobs(48, 2 * 12 * 12, 3, 6);
  TrainConfig c = pruning_config(ESTIMATOR_BUDGETED);
  c.augment_pad = 1;
  c.augment_flip = 1;
  c.weight_decay = 5e-4;
  check_resume([] { return model_create(kBottleneckJson, 17, DEVICE_CPU); }, c, images.get());
  const DatasetPtr features = blobs(96, 12, 3, 5);
  check_resume([] { return model_create(kMlpJson, 18, DEVICE_CPU); }, pruning_config(ESTIMATOR_TWO_POINT),
               features.get());
}

// Any description's checkpoint says which one it is (kind MODEL_ARCHITECTURE, its seed, its
// JSON) and restores it: every preset, a bottleneck network and a residual MLP of varying widths.
TEST(Checkpoint, EveryDescriptionRoundTrips) {
  set_num_threads(1);
  const std::string path = temp_path("described.lpckpt");
  std::vector<std::string> descriptions = {kBottleneckJson, kMlpJson};
  for (const char* name : {"mlp:512-256-128", "lenet5", "resnet20", "resnet18", "resnet50"})
    descriptions.push_back(architecture_preset(name, 1, 28, 28, 10, std::string(name) == "resnet50" ? 0.125 : 0.5));
  descriptions.push_back(architecture_preset("vgg16", 3, 16, 16, 4, 0.125));
  int64_t seed = 30;
  for (const std::string& json : descriptions) {
    SCOPED_TRACE(json);
    ModelPtr m(model_create(json.c_str(), ++seed, DEVICE_CPU), model_destroy);
    model_set_theta(m.get(), 0, 0.25);
    model_determinize(m.get(), 3);  // section 0 pruned: the pruned set is part of the state
    checkpoint_save(m.get(), nullptr, "", path.c_str());
    FilePtr file(checkpoint_read(path.c_str()), container_destroy);
    ArchitectureSpec spec{};
    checkpoint_architecture(file.get(), &spec);
    EXPECT_EQ(spec.kind, MODEL_ARCHITECTURE);
    EXPECT_EQ(spec.seed, seed);
    EXPECT_EQ(std::string(checkpoint_architecture_json(file.get())), model_architecture(m.get()));
    ModelPtr back(checkpoint_restore_model(file.get()), model_destroy);
    EXPECT_EQ(std::string(model_architecture(back.get())), model_architecture(m.get()));
    EXPECT_EQ(model_params(back.get()), model_params(m.get()));
    EXPECT_EQ(model_family(back.get()), model_family(m.get()));
    const Snapshot a = snapshot_model(m.get()), b = snapshot_model(back.get());
    ASSERT_EQ(a.names, b.names);
    for (size_t i = 0; i < a.tensors.size(); ++i) EXPECT_EQ(a.tensors[i], b.tensors[i]) << a.names[i];
    std::remove(path.c_str());
  }
  // A model from a spec factory keeps its kind (and sizes) beside the description.
  const ResNetSpec rs{20, 1, 28, 28, 10, 1, 5, 0};
  ModelPtr r(model_create_resnet(&rs), model_destroy);
  checkpoint_save(r.get(), nullptr, "", path.c_str());
  FilePtr file(checkpoint_read(path.c_str()), container_destroy);
  ArchitectureSpec spec{};
  checkpoint_architecture(file.get(), &spec);
  EXPECT_EQ(spec.kind, MODEL_RESNET);
  EXPECT_EQ(spec.seed, 5);
  EXPECT_EQ(std::string(checkpoint_architecture_json(file.get())), model_architecture(r.get()));
  std::remove(path.c_str());
}

// Checkpoints from before the architecture description (tests/data/legacy_checkpoints, saved
// by the recipe-record format with a trainer after one epoch) load: the same architecture,
// pruned set, logits and FLOPs that library reported, and their runs resume.
std::map<std::string, std::map<std::string, std::vector<double>>> legacy_expected() {
  std::ifstream in(std::string(LAYERPRUNE_TEST_DATA) + "/legacy_checkpoints/expected.txt");
  std::map<std::string, std::map<std::string, std::vector<double>>> out;
  std::string line, current;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (line.find(' ') == std::string::npos) {
      current = key;
      continue;
    }
    double v;
    while (words >> v) out[current][key].push_back(v);
  }
  return out;
}

TEST(Checkpoint, CheckpointsFromBeforeDescriptionsLoadAndResume) {
  set_num_threads(1);
  const auto expected = legacy_expected();
  ASSERT_EQ(expected.size(), 3u);
  const std::map<std::string, int64_t> dims = {{"mlp", 12}, {"resnet", 2 * 6 * 6}, {"lenet5", 144}};
  for (const auto& [name, want] : expected) {
    SCOPED_TRACE(name);
    const std::string path = std::string(LAYERPRUNE_TEST_DATA) + "/legacy_checkpoints/" + name + ".lpckpt";
    FilePtr file(checkpoint_read(path.c_str()), container_destroy);
    ArchitectureSpec spec{};
    checkpoint_architecture(file.get(), &spec);
    EXPECT_EQ(spec.kind, name == "mlp" ? MODEL_MLP : name == "resnet" ? MODEL_RESNET : MODEL_LENET5);
    ModelPtr m(checkpoint_restore_model(file.get()), model_destroy);
    EXPECT_EQ(std::string(checkpoint_architecture_json(file.get())), model_architecture(m.get()));
    EXPECT_EQ(model_params(m.get()), int64_t(want.at("params")[0]));
    EXPECT_EQ(model_flops_per_sample(m.get(), EVAL_EXPECTED), want.at("flops")[0]);
    const int64_t dim = dims.at(name);
    const DatasetPtr probe = blobs(4, dim, 3, 9);
    for (int32_t mode : {EVAL_DETERMINISTIC, EVAL_EXPECTED}) {
      std::vector<float> logits(12);
      model_predict(m.get(), probe->features.data(), 4, mode, logits.data());
      const std::vector<double>& ref = want.at("logits" + std::to_string(mode));
      ASSERT_EQ(ref.size(), 12u);
      for (size_t i = 0; i < 12; ++i) EXPECT_NEAR(logits[i], ref[i], 1e-5 + 1e-5 * std::fabs(ref[i])) << "logit " << i;
    }
    TrainerPtr t(checkpoint_restore_trainer(file.get(), m.get()), trainer_destroy);
    const DatasetPtr data = blobs(48, dim, 3, 5);
    const std::vector<double> losses = run_epoch(t.get(), data.get());
    const std::vector<double>& ref = want.at("resumed_losses");
    ASSERT_EQ(losses.size(), ref.size());
    for (size_t i = 0; i < ref.size(); ++i) EXPECT_NEAR(losses[i], ref[i], 1e-5 * std::fabs(ref[i])) << "step " << i;
  }
}

// The sizes and seed of a spec (not its device, which a checkpoint does not record).
auto saved_fields(const MlpSpec& s) { return std::make_tuple(s.input_size, s.width, s.sections, s.classes, s.seed); }
auto saved_fields(const ResNetSpec& s) {
  return std::make_tuple(s.depth, s.channels, s.height, s.width, s.classes, s.post_activation, s.seed);
}
auto saved_fields(const VggSpec& s) { return std::make_tuple(s.channels, s.height, s.width, s.classes, s.seed); }

// Every size and seed of every architecture kind is written and read back: save and
// read share one field list per kind (api_checkpoint.cpp's arch_fields). Heights and
// widths differ, so a field read into the wrong member shows.
TEST(Checkpoint, EveryArchitectureKindRoundTrips) {
  set_num_threads(1);
  const std::string path = temp_path("arch.lpckpt");
  const auto saved = [&](Model* model) {
    ModelPtr m(model, model_destroy);
    checkpoint_save(m.get(), nullptr, "", path.c_str());
    FilePtr file(checkpoint_read(path.c_str()), container_destroy);
    ArchitectureSpec arch{};
    checkpoint_architecture(file.get(), &arch);
    std::remove(path.c_str());
    return arch;
  };
  const MlpSpec mlp{12, 16, 3, 5, 21, 0};
  ArchitectureSpec a = saved(model_create_mlp(&mlp));
  EXPECT_EQ(a.kind, MODEL_MLP);
  EXPECT_EQ(saved_fields(a.mlp), saved_fields(mlp));
  const ResNetSpec resnet{8, 3, 8, 6, 4, 1, 22, 0};
  a = saved(model_create_resnet(&resnet));
  EXPECT_EQ(a.kind, MODEL_RESNET);
  EXPECT_EQ(saved_fields(a.resnet), saved_fields(resnet));
  const VggSpec vgg{3, 8, 6, 4, 23, 0};
  a = saved(model_create_vgg16(&vgg));
  EXPECT_EQ(a.kind, MODEL_VGG16);
  EXPECT_EQ(saved_fields(a.image), saved_fields(vgg));
  const VggSpec lenet{1, 28, 24, 10, 24, 0};
  a = saved(model_create_lenet5(&lenet));
  EXPECT_EQ(a.kind, MODEL_LENET5);
  EXPECT_EQ(saved_fields(a.image), saved_fields(lenet));
}

TEST(Checkpoint, ModelAloneRestoresWeightsAndArchitecture) {
  set_num_threads(1);
  MlpSpec spec{12, 16, 3, 3, 2};
  ModelPtr m(model_create_mlp(&spec), model_destroy);
  model_set_theta(m.get(), 1, 0.25);
  model_determinize(m.get(), 5);  // prunes section 1
  const std::string path = temp_path("model.lpckpt");
  checkpoint_save(m.get(), nullptr, "", path.c_str());
  FilePtr file(checkpoint_read(path.c_str()), container_destroy);
  EXPECT_EQ(checkpoint_has_trainer(file.get()), 0);
  ArchitectureSpec arch{};
  checkpoint_architecture(file.get(), &arch);
  EXPECT_EQ(arch.kind, MODEL_MLP);
  EXPECT_EQ(arch.mlp.width, 16);
  EXPECT_EQ(arch.mlp.sections, 3);
  ModelPtr back(checkpoint_restore_model(file.get()), model_destroy);
  SectionInfo info{};
  model_section_info(back.get(), 1, &info);
  EXPECT_EQ(info.pruned, 1);
  EXPECT_EQ(info.pruned_at_step, 5);
  EXPECT_EQ(model_params(back.get()), model_params(m.get()));
  const DatasetPtr data = blobs(20, 12, 3, 1);
  EvalStats a{}, b{};
  model_evaluate(m.get(), data.get(), EVAL_DETERMINISTIC, &a);
  model_evaluate(back.get(), data.get(), EVAL_DETERMINISTIC, &b);
  EXPECT_EQ(a.loss, b.loss);
  EXPECT_EQ(a.accuracy, b.accuracy);
  ModelPtr other(model_create_mlp(&spec), model_destroy);
  EXPECT_THROW(checkpoint_restore_trainer(file.get(), other.get()), Error);
  std::remove(path.c_str());
}

std::string read_error(const std::string& path) {
  try {
    FilePtr f(checkpoint_read(path.c_str()), container_destroy);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, BadFilesNameTheProblem) {
  set_num_threads(1);
  MlpSpec spec{12, 16, 2, 3, 2};
  ModelPtr m(model_create_mlp(&spec), model_destroy);
  const std::string path = temp_path("bad.lpckpt");
  checkpoint_save(m.get(), nullptr, "", path.c_str());
  std::vector<char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto write = [&](const std::vector<char>& b) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  write(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<long>(bytes.size() / 2)));
  EXPECT_NE(read_error(path).find("truncated at byte " + std::to_string(bytes.size() / 2)), std::string::npos)
      << read_error(path);
  std::vector<char> flipped = bytes;
  flipped[bytes.size() - 100] ^= 0x10;
  write(flipped);
  EXPECT_NE(read_error(path).find("checksum mismatch"), std::string::npos) << read_error(path);
  std::vector<char> newer = bytes;
  newer[8] = 2;
  write(newer);
  EXPECT_NE(read_error(path).find("format version 2 is newer than this library supports (max 1)"), std::string::npos)
      << read_error(path);
  write({});
  EXPECT_NE(read_error(path).find("is empty"), std::string::npos);
  write({'\x89', 'P', 'N', 'G', '\r', '\n', '\x1a', '\n', 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
  EXPECT_NE(read_error(path).find("not a layerprune checkpoint (bad magic"), std::string::npos) << read_error(path);
  // A well-formed container of another kind is readable by container_read, not as a checkpoint.
  io::Container other("LPEXPRT1", 1, "0.1.0");
  other.put_u32("x", 1);
  const std::vector<uint8_t> o = other.serialize();
  write(std::vector<char>(o.begin(), o.end()));
  EXPECT_NE(read_error(path).find("bad magic 'LPEXPRT1'"), std::string::npos);
  FilePtr any(container_read(path.c_str()), container_destroy);
  EXPECT_NE(std::string(container_summary(any.get())).find("\"magic\":\"LPEXPRT1\""), std::string::npos);
  EXPECT_THROW(checkpoint_restore_model(any.get()), Error);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace layerprune
