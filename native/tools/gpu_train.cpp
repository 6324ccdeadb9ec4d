// layerprune_gpu_train: trains and prunes a CIFAR-style ResNet on an MNIST-format data set with
// the CUDA backend, for the GPU machine, which has no Java (bin/gpu-check runs the tests there;
// this runs experiments there). It drives the same native core the Java Trainer drives
// (TrainingSession: begin_epoch, step, finish) with the CLI's defaults for conv nets, and
// holds out the last --validation training images so that hyper-parameters are chosen on
// them and not on the test set.
//
//   layerprune_gpu_train --data DIR [--depth 20] [--epochs 15] [--lr 0.1] [--lambda 0.01]
//       [--freeze-epochs 0] [--eta-theta 0.2] [--weight-decay 5e-4] [--no-augment]
//       [--validation 5000] [--seed 1] [--label NAME] [--reference]
//
// Prints one line per epoch and a final JSON line (prefix "RESULT ").
#include <zlib.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "core/error.h"
#include "io/idx_format.h"
#include "method/trainer.h"
#include "model/conv_architecture.h"
#include "model/dataset.h"
#include "model/evaluation.h"
#include "model/residual_convnet.h"

namespace {

using namespace layerprune;

std::vector<uint8_t> read_maybe_gz(const std::string& path) {
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files as they are
  if (!f) fail("could not open " + path);
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int n;
  while ((n = gzread(f, chunk, sizeof chunk)) > 0) bytes.insert(bytes.end(), chunk, chunk + n);
  gzclose(f);
  if (n < 0) fail("could not read " + path + " because it is not a valid gzip stream");
  return bytes;
}

struct Images {
  std::vector<uint8_t> pixels;
  std::vector<int32_t> labels;
  int64_t count = 0, dim = 0;
};

Images load(const std::string& dir, const std::string& prefix) {
  const std::string images = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  const std::vector<uint8_t> ib = read_maybe_gz(images), lb = read_maybe_gz(labels);
  const IdxView iv = parse_idx(ib.data(), ib.size(), IdxKind::kImages, images);
  const IdxView lv = parse_idx(lb.data(), lb.size(), IdxKind::kLabels, labels);
  require(iv.layout.count == lv.layout.count, "could not pair " + images + " with " + labels +
                                                  " because their counts differ");
  Images out;
  out.count = iv.layout.count;
  out.dim = iv.layout.rows * iv.layout.cols;
  out.pixels.assign(iv.data, iv.data + iv.layout.data_bytes);
  for (int64_t i = 0; i < out.count; ++i) out.labels.push_back(lv.data[i]);
  return out;
}

// Rows [begin, end) of `src` standardised with the training mean/std (as IdxDataset does).
Dataset slice(const Images& src, int64_t begin, int64_t end, double mean, double std) {
  std::vector<float> features(static_cast<size_t>((end - begin) * src.dim));
  for (int64_t i = 0; i < (end - begin) * src.dim; ++i)
    features[i] = static_cast<float>((src.pixels[begin * src.dim + i] / 255.0 - mean) / std);
  std::unique_ptr<Dataset> d(
      make_dataset(features.data(), src.labels.data() + begin, end - begin, src.dim, 10));
  return std::move(*d);
}

double arg(int argc, char** argv, const char* name, double fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atof(argv[i + 1]);
  return fallback;
}
std::string sarg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}

int run(int argc, char** argv) {
  const std::string data = sarg(argc, argv, "--data", "/usr/share/datasets/fashion-mnist");
  const std::string label = sarg(argc, argv, "--label", "run");
  const int depth = static_cast<int>(arg(argc, argv, "--depth", 20));
  const int epochs = static_cast<int>(arg(argc, argv, "--epochs", 15));
  const int64_t validation = static_cast<int64_t>(arg(argc, argv, "--validation", 5000));
  const double freeze_epochs = arg(argc, argv, "--freeze-epochs", 0);

  const Images train_all = load(data, "train"), test_all = load(data, "t10k");
  const int64_t n_train = train_all.count - validation;
  require(n_train > 0 && validation >= 0, "could not split the training set because --validation is out of range");
  double sum = 0, ss = 0;  // global mean/std over the training rows used
  for (int64_t i = 0; i < n_train * train_all.dim; ++i) sum += train_all.pixels[i] / 255.0;
  const double mean = sum / (n_train * train_all.dim);
  for (int64_t i = 0; i < n_train * train_all.dim; ++i) {
    const double d = train_all.pixels[i] / 255.0 - mean;
    ss += d * d;
  }
  const double std = std::sqrt(ss / (n_train * train_all.dim));
  Dataset train = slice(train_all, 0, n_train, mean, std);
  Dataset val = slice(train_all, n_train, train_all.count, mean, std);
  Dataset test = slice(test_all, 0, test_all.count, mean, std);

  const int64_t side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(train_all.dim))));
  // --reference runs the plain-loop backend instead (slow: for checking this program without a GPU).
  ResidualConvNet model(flag(argc, argv, "--reference") ? make_reference_backend() : make_cuda_backend(), resnet_cifar(depth, 1, side, side, 10),
                        static_cast<uint64_t>(arg(argc, argv, "--seed", 1)));
  TrainConfig c = default_train_config();
  c.batch_size = 128;
  const int64_t steps_per_epoch = n_train / c.batch_size;
  c.eta_w = arg(argc, argv, "--lr", 0.1);
  c.lambda = arg(argc, argv, "--lambda", c.lambda);
  c.eta_theta = arg(argc, argv, "--eta-theta", c.eta_theta);
  c.weight_decay = arg(argc, argv, "--weight-decay", 5e-4);
  c.total_steps = epochs * steps_per_epoch;
  c.theta_freeze_steps = static_cast<int64_t>(freeze_epochs * steps_per_epoch);
  c.augment_pad = flag(argc, argv, "--no-augment") ? 0 : 4;
  c.augment_flip = flag(argc, argv, "--no-augment") ? 0 : 1;
  c.seed = static_cast<int64_t>(arg(argc, argv, "--seed", 1));
  validate(c);

  const auto t0 = std::chrono::steady_clock::now();
  auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  TrainingSession session(model, c);
  for (int e = 1; e <= epochs; ++e) {
    const int64_t steps = session.begin_epoch(train);
    double loss = 0;
    int32_t live = 0;
    for (int64_t b = 0; b < steps; ++b) {
      const StepStats s = session.step(train, b);
      loss += s.loss;
      live = s.live_sections;
    }
    const EvalStats v = evaluate(model, val, EVAL_EXPECTED);
    std::printf("[%s] epoch %d/%d loss %.4f val acc %.4f (expected) live %d/%d %.1f s theta [", label.c_str(), e,
                epochs, loss / steps, v.accuracy, live, model.sections(), seconds());
    for (int32_t l = 0; l < model.sections(); ++l)
      std::printf(model.gate(l).pruned ? " -" : " %.2f", model.gate(l).theta);
    std::printf(" ]\n");
    std::fflush(stdout);
  }
  session.finish();
  const EvalStats val_det = evaluate(model, val, EVAL_DETERMINISTIC);
  const EvalStats test_det = evaluate(model, test, EVAL_DETERMINISTIC);
  int kept = 0;
  std::string pruned;
  for (int32_t l = 0; l < model.sections(); ++l) {
    if (!model.gate(l).pruned) ++kept;
    else pruned += (pruned.empty() ? "" : ", ") + std::to_string(l) + "@" + std::to_string(model.gate(l).pruned_at_step);
  }
  std::printf("RESULT {\"label\":\"%s\",\"depth\":%d,\"epochs\":%d,\"lambda\":%g,\"freeze_epochs\":%g,\"eta_theta\":%g,"
              "\"train\":%lld,\"validation\":%lld,\"val_acc_det\":%.4f,\"test_acc_det\":%.4f,\"kept\":%d,\"sections\":%d,"
              "\"pruned\":\"%s\",\"flops_ratio\":%.3f,\"seconds\":%.1f}\n",
              label.c_str(), depth, epochs, c.lambda, freeze_epochs, c.eta_theta, static_cast<long long>(n_train),
              static_cast<long long>(validation), val_det.accuracy, test_det.accuracy, kept, model.sections(),
              pruned.c_str(), session.cumulative_flops() / session.cumulative_flops_unpruned(), seconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "layerprune_gpu_train: %s\n", e.what());
    return 1;
  }
}
