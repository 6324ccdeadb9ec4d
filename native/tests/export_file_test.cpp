// The export file: round trip (same graph, same logits bit for bit), size against the
// unpruned weights, and errors for foreign, corrupt and truncated files.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "export/export_file.h"
#include "export/exported_network.h"
#include "model/cost.h"
#include "model/network.h"
#include "test_util.h"

namespace layerprune {
namespace {

namespace fs = std::filesystem;

std::string temp_path(const char* name) {
  return (fs::temp_directory_path() / (std::string("layerprune_export_") + std::to_string(::getpid()) + "_" + name))
      .string();
}

std::vector<float> run(ExportGraph g, const std::vector<float>& x, int64_t count) {
  ExportedNetwork net(std::move(g), make_cpu_backend());
  std::vector<float> logits(count * net.classes());
  net.predict(x.data(), count, logits.data());
  return logits;
}

TEST(ExportFile, RoundTripKeepsGraphAndLogits) {
  Network m(make_cpu_backend(), resnet_cifar(8, {2, 8, 8}, 3), 1);
  m.prune(1, 3);
  const ExportGraph g = build_export_graph(m);
  const std::string path = temp_path("roundtrip.lpx");
  write_export_file(g, "{\"spec\":1}", path);
  std::string metadata;
  const ExportGraph back = read_export_file(path, &metadata);
  EXPECT_EQ(metadata, "{\"spec\":1}");
  EXPECT_EQ(back.ops.size(), g.ops.size());
  EXPECT_EQ(back.params(), g.params());
  EXPECT_EQ(back.sections_kept, g.sections_kept);
  EXPECT_EQ(back.folded_batchnorms, g.folded_batchnorms);
  Rng rng(2);
  const std::vector<float> x = test::random_vector(5 * m.input_size(), rng);
  EXPECT_EQ(run(back, x, 5), run(g, x, 5));  // the same floats: bit-exact
  fs::remove(path);
}

TEST(ExportFile, SizeFollowsWhatWasPruned) {
  Network m(make_cpu_backend(), test::small_arch(64, 64, 12, 10), 3);
  const std::string full = temp_path("full.lpx"), pruned = temp_path("pruned.lpx");
  write_export_file(build_export_graph(m), "", full);
  for (int32_t l = 0; l < 9; ++l) m.prune(l, 1);
  write_export_file(build_export_graph(m), "", pruned);
  const double full_bytes = double(fs::file_size(full)), pruned_bytes = double(fs::file_size(pruned));
  const Plan& a = m.plan();
  const double kept = double(cost::params(a, m.live_mask())) / double(cost::params(a, std::vector<bool>(12, true)));
  // 4 bytes per weight plus record headers (well under 16 KB here): the ratio of sizes is
  // the ratio of parameters.
  EXPECT_NEAR(pruned_bytes / full_bytes, kept, 0.02);
  EXPECT_LT(full_bytes, 4.0 * cost::params(a, std::vector<bool>(12, true)) + 16384);
  fs::remove(full);
  fs::remove(pruned);
}

TEST(ExportFile, RejectsForeignCorruptAndTruncatedFiles) {
  Network m(make_cpu_backend(), test::small_arch(6, 5, 2, 3), 4);
  const std::string path = temp_path("bad.lpx");
  write_export_file(build_export_graph(m), "", path);
  std::ifstream in(path, std::ios::binary);
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const auto write = [&](std::vector<char> b) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(b.data(), std::streamsize(b.size()));
  };
  const auto message = [&]() -> std::string {
    try {
      read_export_file(path, nullptr);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  std::vector<char> b = bytes;
  b[b.size() / 2] ^= 0x10;
  write(b);
  EXPECT_NE(message().find("checksum"), std::string::npos) << message();
  write(std::vector<char>(bytes.begin(), bytes.begin() + bytes.size() / 3));
  EXPECT_NE(message(), "");
  b = bytes;
  std::copy_n("LPCKPT01", 8, b.begin());
  write(b);
  EXPECT_NE(message().find("not a layerprune exported network"), std::string::npos) << message();
  fs::remove(path);
  EXPECT_NE(message().find(path), std::string::npos) << message();
}

}  // namespace
}  // namespace layerprune
