// Shared by the native tools (gpu_train, estimator_trace): Fashion-MNIST-style IDX loading with
// a training/validation split, and a minimal argument parser. Not part of the library.
#pragma once
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/idx_format.h"
#include "model/dataset.h"

namespace layerprune::tools {

inline std::vector<uint8_t> read_maybe_gz(const std::string& path) {
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

inline Images load(const std::string& dir, const std::string& prefix) {
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
inline Dataset slice(const Images& src, int64_t begin, int64_t end, double mean, double std) {
  if (end <= begin) return Dataset{};  // an empty split (no validation rows)
  std::vector<float> features(static_cast<size_t>((end - begin) * src.dim));
  for (int64_t i = 0; i < (end - begin) * src.dim; ++i)
    features[i] = static_cast<float>((src.pixels[begin * src.dim + i] / 255.0 - mean) / std);
  std::unique_ptr<Dataset> d(
      make_dataset(features.data(), src.labels.data() + begin, end - begin, src.dim, 10));
  return std::move(*d);
}

// The tools' command line: --help (or -h) prints `usage` and returns false (the tool then exits 0);
// an argument that is none of the tool's flags, or a value flag without its value, fails naming it
// rather than being ignored (a mistyped flag would otherwise start a run with the default).
inline bool check_args(int argc, char** argv, const char* usage, std::initializer_list<const char*> value_flags,
                       std::initializer_list<const char*> switches) {
  auto among = [](const char* a, std::initializer_list<const char*> names) {
    for (const char* n : names)
      if (std::strcmp(a, n) == 0) return true;
    return false;
  };
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(usage, stdout);
      return false;
    }
    if (among(argv[i], switches)) continue;
    require(among(argv[i], value_flags), "unknown argument '", argv[i], "' (--help lists the flags)");
    require(i + 1 < argc, "flag ", argv[i], " needs a value");
    ++i;
  }
  return true;
}

inline double arg(int argc, char** argv, const char* name, double fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atof(argv[i + 1]);
  return fallback;
}
inline std::string sarg(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
  return fallback;
}
inline bool flag(int argc, char** argv, const char* name) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return true;
  return false;
}


// The training rows [0, n_train) and validation rows [n_train, count) of `data`'s training
// files and its test files, standardised with the training rows' global mean and std.
struct Splits {
  Dataset train, validation, test;
  int64_t side = 28;
};

inline Splits load_splits(const std::string& data, int64_t validation, int64_t train_limit = 0) {
  const Images train_all = load(data, "train"), test_all = load(data, "t10k");
  const int64_t usable = train_limit > 0 ? std::min(train_limit + validation, train_all.count) : train_all.count;
  const int64_t n_train = usable - validation;
  require(n_train > 0 && validation >= 0, "could not split the training set because --validation is out of range");
  double sum = 0, ss = 0;
  for (int64_t i = 0; i < n_train * train_all.dim; ++i) sum += train_all.pixels[i] / 255.0;
  const double mean = sum / (n_train * train_all.dim);
  for (int64_t i = 0; i < n_train * train_all.dim; ++i) {
    const double d = train_all.pixels[i] / 255.0 - mean;
    ss += d * d;
  }
  const double std = std::sqrt(ss / (n_train * train_all.dim));
  Splits s{slice(train_all, 0, n_train, mean, std), slice(train_all, n_train, usable, mean, std),
           slice(test_all, 0, test_all.count, mean, std)};
  s.side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(train_all.dim))));
  return s;
}

}  // namespace layerprune::tools
