// End to end on the GPU: short training runs (a residual MLP with pruning, a tiny
// ResNet with BN, stride-2 projections and the two-point estimator) on the CUDA backend
// and on the reference backend from the same seed, compared step by step and at the end.
//
// Why these tolerances: both runs see the same data order, gate samples and estimator
// subsets (host RNG, same seed) and the same initial weights; they differ only in FP32
// summation order (tiled GEMMs vs plain loops), ~1e-6 relative per op. Over a few dozen
// steps that drift stays far below the gaps the method acts on, so: every step's loss
// within 2e-3 relative (+1e-4), final theta within 0.01, the same pruned set, and
// accuracy within 2 samples in 100 (a borderline sample may flip). Measured for the same
// two runs with the oneDNN backend in place of CUDA: losses within 6e-7 relative, theta
// within 2e-8, identical pruned sets and accuracies; the bounds leave room for the GPU's
// different summation orders (tiles, split-K, chunked BN statistics) without hiding a
// wrong kernel, which moves the first step's loss already.
// Also: without a GPU, make_cuda_backend fails with an Error that says so. The tests skip only
// without a CUDA device and fail on any other error (cuda_support.h, gpu_skip_policy.h).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "cuda_support.h"
#include "cuda_training_run.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

void expect_same_run(const test::TrainingRecord& gpu, const test::TrainingRecord& ref) {
  ASSERT_EQ(gpu.losses.size(), ref.losses.size());
  for (size_t i = 0; i < gpu.losses.size(); ++i)
    ASSERT_NEAR(gpu.losses[i], ref.losses[i], 1e-4 + 2e-3 * std::fabs(ref.losses[i])) << "loss of step " << i;
  ASSERT_EQ(gpu.thetas.size(), ref.thetas.size());
  for (size_t l = 0; l < gpu.thetas.size(); ++l) EXPECT_NEAR(gpu.thetas[l], ref.thetas[l], 0.01) << "theta " << l;
  EXPECT_EQ(gpu.pruned, ref.pruned);
  EXPECT_NEAR(gpu.accuracy, ref.accuracy, 0.02);
}

// With a device the backend builds; without one (cudaGetDeviceCount: no device, no driver, 0
// devices) make_cuda_backend fails with an Error that says so; any other probe result fails here.
TEST(CudaBackend, WithoutAGpuTheErrorSaysSo) {
  const test::GpuDecision& probe = test::gpu_probe();
  if (probe.kind == test::GpuDecision::kFail) FAIL() << probe.reason;
  if (probe.kind == test::GpuDecision::kUse) {
    auto be = make_cuda_backend();  // an Error here fails the test
    EXPECT_STREQ(be->name(), "cuda");
    return;
  }
  try {
    make_cuda_backend();
    FAIL() << "make_cuda_backend succeeded although " << probe.reason;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("could not use the CUDA device because no CUDA-capable GPU or driver found: "),
              std::string::npos)
        << message;
  }
}

TEST(CudaTraining, ResidualMlpMatchesReference) {
  auto gpu_backend = test::cuda_or_null();
  LAYERPRUNE_SKIP_WITHOUT_GPU(gpu_backend);
  const Architecture arch = test::small_arch(10, 32, 6, 4);
  Network gpu(std::move(gpu_backend), arch, 3), ref(make_reference_backend(), arch, 3);
  auto data = test::blobs(512, 10, 4, 12);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.lambda = 0.05;  // on this data: 5 of 6 sections pruned, one kept at theta ~0.6
  c.patience = 5;
  c.total_steps = 3 * (512 / 32);
  const auto r_gpu = test::record_training(gpu, *data, c, 3), r_ref = test::record_training(ref, *data, c, 3);
  expect_same_run(r_gpu, r_ref);
  EXPECT_GT(r_ref.accuracy, 0.5);  // it learned something: the comparison is not of two untrained nets
}

TEST(CudaTraining, TinyResNetMatchesReference) {
  auto gpu_backend = test::cuda_or_null();
  LAYERPRUNE_SKIP_WITHOUT_GPU(gpu_backend);
  // 9x9, odd: stride-2 convolutions and projections round up; identity skips, then a strided projection.
  const Architecture a = test::conv_arch({3, 9, 9}, 8, {{8, 2, 1}, {16, 2, 2}}, 4);
  Network gpu(std::move(gpu_backend), a, 5), ref(make_reference_backend(), a, 5);
  auto data = test::blobs(192, a.input.size(), a.classes, 14, 1.5);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.weight_decay = 5e-4;
  c.lambda = 0.05;  // on this data: 2 of 4 sections pruned, one kept at theta ~0.7
  c.patience = 4;
  c.total_steps = 4 * (192 / 32);
  const auto r_gpu = test::record_training(gpu, *data, c, 4), r_ref = test::record_training(ref, *data, c, 4);
  expect_same_run(r_gpu, r_ref);
  EXPECT_GT(r_ref.accuracy, 0.35);  // 4 classes: above chance
}

// The ImageNet layout's pieces on the GPU: a 7x7 stride-2 stem, a 3x3 stride-2 max pool with
// padding (overlapping windows: the backward gathers), bottleneck sections with strided
// projections, h = ReLU.
TEST(CudaTraining, TinyBottleneckNetMatchesReference) {
  auto gpu_backend = test::cuda_or_null();
  LAYERPRUNE_SKIP_WITHOUT_GPU(gpu_backend);
  Architecture a;
  a.input = {3, 17, 17};
  a.image = true;
  a.stem = conv_layer(8, 7, 2, 3);
  a.stem_pool = max_pool(3, 2, 1);
  StageSpec first, second;
  first.kind = second.kind = SectionKind::kBottleneck;
  first.widths = {2, 2};
  second.widths = {4, 4};
  second.stride = 2;
  first.relu_after = second.relu_after = true;
  a.stages = {first, second};
  a.classes = 4;
  a.family = Family::kResNet;
  Network gpu(std::move(gpu_backend), a, 6), ref(make_reference_backend(), a, 6);
  auto data = test::blobs(128, a.input.size(), a.classes, 15, 1.5);
  TrainConfig c = default_train_config();
  c.batch_size = 32;
  c.eta_w = 0.05;
  c.weight_decay = 5e-4;
  c.lambda = 0.05;
  c.patience = 4;
  c.total_steps = 3 * (128 / 32);
  const auto r_gpu = test::record_training(gpu, *data, c, 3), r_ref = test::record_training(ref, *data, c, 3);
  expect_same_run(r_gpu, r_ref);
}

}  // namespace
}  // namespace layerprune
