// The export file: round trip (same graph, same logits bit for bit), size against the
// unpruned weights, and errors for foreign, corrupt and truncated files.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "export/export_file.h"
#include "export/exported_network.h"
#include "io/binary_container.h"
#include "model/architecture_json.h"
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

// Version 1 files (10 numbers per op, every max pool 2x2/2 ceil mode, no architecture) still
// read: a VGG-style network's graph written as version 2 and rewritten as version 1.
TEST(ExportFile, VersionOneFilesStillRead) {
  Network m(make_cpu_backend(), vgg16({1, 12, 12}, 3, 0.125), 5);
  const ExportGraph g = build_export_graph(m);
  ASSERT_GT(std::count_if(g.ops.begin(), g.ops.end(), [](const ExportOp& o) { return o.kind == ExportOpKind::kMaxPool; }), 0);
  const std::string v2 = temp_path("v2.lpx"), v1 = temp_path("v1.lpx");
  write_export_file(g, "meta", v2);
  const io::Container c = io::read_container(v2, {kExportMagic, "exported network", kExportFormatVersion});
  io::Container old(kExportMagic, 1, "0.1.0");
  for (const io::Record& r : c.records()) {
    if (r.name == "architecture") continue;
    if (r.name == "graph.ops") {
      const std::vector<int64_t> ops = c.get_i64_array("graph.ops");
      std::vector<int64_t> ten;
      for (size_t i = 0; i < ops.size(); i += 11) {
        ten.insert(ten.end(), ops.begin() + long(i), ops.begin() + long(i) + 10);
        if (ops[i] == int64_t(ExportOpKind::kMaxPool)) ten[ten.size() - 4] = 1, ten[ten.size() - 3] = 1;  // as v1 wrote them
      }
      old.put_i64_array("graph.ops", ten);
      continue;
    }
    switch (r.type) {  // copy the rest as they are
      case io::RecordType::U32: old.put_u32(r.name, c.get_u32(r.name)); break;
      case io::RecordType::String: old.put_string(r.name, c.get_string(r.name)); break;
      case io::RecordType::F32Array: old.put_f32_array(r.name, c.get_f32_array(r.name)); break;
      case io::RecordType::I64Array: old.put_i64_array(r.name, c.get_i64_array(r.name)); break;
      default: FAIL() << "unexpected record type of " << r.name;
    }
  }
  io::write_file_atomically(v1, old.serialize());
  std::string metadata;
  const ExportGraph back = read_export_file(v1, &metadata);
  EXPECT_EQ(metadata, "meta");
  EXPECT_EQ(back.architecture, "");
  ASSERT_EQ(back.ops.size(), g.ops.size());
  for (size_t i = 0; i < g.ops.size(); ++i) {
    EXPECT_EQ(back.ops[i].kind, g.ops[i].kind);
    EXPECT_EQ(std::make_tuple(back.ops[i].kernel, back.ops[i].stride, back.ops[i].pad, back.ops[i].ceil),
              std::make_tuple(g.ops[i].kernel, g.ops[i].stride, g.ops[i].pad, g.ops[i].ceil));
  }
  Rng rng(3);
  const std::vector<float> x = test::random_vector(4 * m.input_size(), rng);
  EXPECT_EQ(run(back, x, 4), run(g, x, 4));
  EXPECT_EQ(read_export_file(v2, nullptr).architecture, to_json(m.architecture()));
  fs::remove(v1);
  fs::remove(v2);
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
