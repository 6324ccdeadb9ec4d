// The data file parsers (io/idx_format, io/cifar_format) and their C API (api_io.h): valid files,
// every error class with its message, truncation at every byte and every single bit flip of small
// files.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/cifar_format.h"
#include "io/idx_format.h"
#include "layerprune/api_io.h"

namespace layerprune {
namespace {

using Bytes = std::vector<uint8_t>;

void put_u32(Bytes& b, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) b.push_back(static_cast<uint8_t>(v >> shift));
}

Bytes idx_images(uint32_t count, uint32_t rows, uint32_t cols, size_t data_bytes) {
  Bytes b;
  put_u32(b, kIdxImagesMagic);
  put_u32(b, count);
  put_u32(b, rows);
  put_u32(b, cols);
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i * 37 + 11));
  return b;
}

Bytes idx_labels(uint32_t count, size_t data_bytes) {
  Bytes b;
  put_u32(b, kIdxLabelsMagic);
  put_u32(b, count);
  for (size_t i = 0; i < data_bytes; ++i) b.push_back(static_cast<uint8_t>(i % 10));
  return b;
}

Bytes cifar_records(size_t records) {
  Bytes b;
  for (size_t r = 0; r < records; ++r) {
    b.push_back(static_cast<uint8_t>(r % 10));
    for (int64_t p = 0; p < kCifarImageBytes; ++p) b.push_back(static_cast<uint8_t>(r * 7 + p));
  }
  return b;
}

// The message of the Error that `f` throws; fails the test if it throws nothing.
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no Error thrown";
  return "";
}

#define EXPECT_HAS(text, part) EXPECT_NE(std::string(text).find(part), std::string::npos) << (text)

// ---------------------------------------------------------------------------------------------
// IDX

TEST(IdxFormat, ParsesImagesAndPointsAtTheirData) {
  const Bytes f = idx_images(3, 4, 5, 60);
  const IdxView v = parse_idx(f.data(), f.size(), IdxKind::kImages, "imgs");
  EXPECT_EQ(v.layout.count, 3);
  EXPECT_EQ(v.layout.rows, 4);
  EXPECT_EQ(v.layout.cols, 5);
  EXPECT_EQ(v.layout.header_bytes, 16u);
  EXPECT_EQ(v.layout.data_bytes, 60u);
  EXPECT_EQ(v.data, f.data() + 16);
  EXPECT_EQ(v.data[59], static_cast<uint8_t>(59 * 37 + 11));
}

TEST(IdxFormat, ParsesLabelsAndEmptyFiles) {
  const Bytes f = idx_labels(7, 7);
  const IdxView v = parse_idx(f.data(), f.size(), IdxKind::kLabels, "labs");
  EXPECT_EQ(v.layout.count, 7);
  EXPECT_EQ(v.layout.rows * v.layout.cols, 1);
  EXPECT_EQ(v.layout.header_bytes, 8u);
  EXPECT_EQ(v.data, f.data() + 8);
  // Zero images or labels is a valid (empty) file; deciding whether that is usable is the caller's job.
  const Bytes none = idx_images(0, 28, 28, 0);
  EXPECT_EQ(parse_idx(none.data(), none.size(), IdxKind::kImages, "none").layout.data_bytes, 0u);
  const Bytes no_labels = idx_labels(0, 0);
  EXPECT_EQ(parse_idx(no_labels.data(), no_labels.size(), IdxKind::kLabels, "none").layout.count, 0);
}

TEST(IdxFormat, HeaderAloneAnnouncesTheLayout) {
  const Bytes f = idx_images(60000, 28, 28, 0);
  const IdxLayout l = parse_idx_header(f.data(), f.size(), IdxKind::kImages, "train");
  EXPECT_EQ(l.data_bytes, 60000u * 784u);
  EXPECT_EQ(idx_header_bytes(IdxKind::kImages), 16u);
  EXPECT_EQ(idx_header_bytes(IdxKind::kLabels), 8u);
}

TEST(IdxFormat, BadMagicNamesExpectedAndFound) {
  Bytes f = idx_images(2, 2, 2, 8);
  f[2] = 0x0D;  // float32
  std::string m = error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "could not read F");
  EXPECT_HAS(m, "bad magic number 0x00000d03");
  EXPECT_HAS(m, "expected 0x00000803");
  EXPECT_HAS(m, "an IDX file of float32 with 3 dimensions");

  const Bytes labels = idx_labels(2, 2);
  m = error_of([&] { parse_idx(labels.data(), labels.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "bad magic number 0x00000801");
  EXPECT_HAS(m, "unsigned bytes with 1 dimension");

  const Bytes images = idx_images(1, 1, 1, 1);
  m = error_of([&] { parse_idx(images.data(), images.size(), IdxKind::kLabels, "F"); });
  EXPECT_HAS(m, "expected 0x00000801");

  Bytes text = {'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd', '!', '!', '!', '!', '!'};
  m = error_of([&] { parse_idx(text.data(), text.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "not an IDX file");

  f = idx_images(2, 2, 2, 8);
  f[2] = 0x42;
  m = error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "unknown IDX type code 0x42");
}

TEST(IdxFormat, HeaderCutShortIsTruncated) {
  const Bytes f = idx_images(2, 2, 2, 8);
  for (size_t n : {size_t{0}, size_t{3}, size_t{4}, size_t{15}}) {
    const std::string m = error_of([&] { parse_idx_header(f.data(), n, IdxKind::kImages, "F"); });
    EXPECT_HAS(m, "truncated: it ends inside the header (" + std::to_string(n) + " of its 16 bytes)");
  }
  EXPECT_HAS(error_of([&] { parse_idx(nullptr, 0, IdxKind::kLabels, "F"); }), "0 of its 8 bytes");
}

TEST(IdxFormat, ImpossibleDimensionsAreRejectedBeforeAnyProduct) {
  Bytes f = idx_images(5, 0, 28, 0);
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); }),
             "invalid dimensions 5 x 0 x 28");
  f = idx_images(5, 28, 0, 0);
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); }), "rows > 0 and columns > 0");
  // rows * cols = 2^64 - 2^33 + 1 would wrap in 64 bits if multiplied unchecked.
  f = idx_images(1, 0xFFFFFFFFu, 0xFFFFFFFFu, 0);
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); }), "too large to load");
  f = idx_images(1, 65536, 65536, 0);  // 2^32 bytes per image
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); }), "too large to load");
  f = idx_images(0xFFFFFFFFu, 28, 28, 0);
  const std::string m = error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "4294967295 images of 28x28, too many to load");
  f = idx_labels(0xFFFFFFFFu, 0);
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kLabels, "F"); }), "4294967295 labels, more than");
}

TEST(IdxFormat, TruncatedDataSaysExpectedAndFound) {
  Bytes f = idx_images(10, 4, 4, 160);
  f.resize(f.size() - 50);
  std::string m = error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "could not read F because it is truncated: expected 160 pixel bytes (10 images of 4x4");
  EXPECT_HAS(m, "found 110");
  Bytes l = idx_labels(5, 3);
  m = error_of([&] { parse_idx(l.data(), l.size(), IdxKind::kLabels, "F"); });
  EXPECT_HAS(m, "expected 5 labels, found 3");
  // The header of the real training set, with almost nothing after it.
  Bytes big = idx_images(60000, 28, 28, 1234);
  m = error_of([&] { parse_idx(big.data(), big.size(), IdxKind::kImages, "F"); });
  EXPECT_HAS(m, "expected 47040000 pixel bytes (60000 images of 28x28");
  EXPECT_HAS(m, "found 1234");
}

TEST(IdxFormat, TrailingDataIsRejected) {
  Bytes l = idx_labels(2, 5);
  EXPECT_HAS(error_of([&] { parse_idx(l.data(), l.size(), IdxKind::kLabels, "F"); }),
             "unexpected data after the 2 labels its header announces (3 more bytes read)");
  Bytes f = idx_images(1, 2, 2, 5);
  EXPECT_HAS(error_of([&] { parse_idx(f.data(), f.size(), IdxKind::kImages, "F"); }), "(1 more byte read)");
}

TEST(IdxFormat, EveryTruncationOfASmallFileFails) {
  for (IdxKind kind : {IdxKind::kImages, IdxKind::kLabels}) {
    const Bytes f = kind == IdxKind::kImages ? idx_images(3, 4, 5, 60) : idx_labels(9, 9);
    for (size_t n = 0; n < f.size(); ++n) {
      // A copy of exactly n bytes, so AddressSanitizer sees any read past it.
      const Bytes prefix(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
      const std::string m = error_of([&] { parse_idx(prefix.data(), prefix.size(), kind, "F"); });
      EXPECT_HAS(m, "truncated");
    }
    EXPECT_NO_THROW(parse_idx(f.data(), f.size(), kind, "F"));
  }
}

TEST(IdxFormat, EverySingleBitFlipEndsInAnErrorOrAConsistentFile) {
  for (IdxKind kind : {IdxKind::kImages, IdxKind::kLabels}) {
    const Bytes f = kind == IdxKind::kImages ? idx_images(3, 4, 5, 60) : idx_labels(9, 9);
    const size_t header = idx_header_bytes(kind);
    int rejected = 0;
    for (size_t bit = 0; bit < f.size() * 8; ++bit) {
      Bytes g = f;
      g[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      try {
        const IdxView v = parse_idx(g.data(), g.size(), kind, "F");
        EXPECT_EQ(v.layout.header_bytes + v.layout.data_bytes, g.size()) << "bit " << bit;
        EXPECT_EQ(static_cast<size_t>(v.layout.count * v.layout.rows * v.layout.cols), v.layout.data_bytes);
        EXPECT_GE(bit, header * 8) << "a header flip was accepted: bit " << bit;
      } catch (const Error& e) {
        ++rejected;
        EXPECT_LT(bit, header * 8) << "a data flip was rejected: " << e.what();
      }
    }
    // Every header bit is checked: a flip breaks the magic number or changes the size the
    // dimensions announce, so the file no longer matches it.
    EXPECT_EQ(rejected, static_cast<int>(header * 8));
  }
}

// ---------------------------------------------------------------------------------------------
// CIFAR-10

TEST(CifarFormat, ParsesRecordsIntoLabelsAndPixels) {
  const Bytes f = cifar_records(3);
  const CifarBatch b = parse_cifar(f.data(), f.size(), "F");
  ASSERT_EQ(b.count, 3);
  EXPECT_EQ(b.labels, (Bytes{0, 1, 2}));
  ASSERT_EQ(b.pixels.size(), 3u * 3072u);
  for (int r = 0; r < 3; ++r)
    for (int p = 0; p < 3072; p += 511)
      EXPECT_EQ(b.pixels[static_cast<size_t>(r * 3072 + p)], static_cast<uint8_t>(r * 7 + p));
}

TEST(CifarFormat, RecordCountChecksTheSize) {
  EXPECT_EQ(cifar_record_count(3073 * 20, "F"), 20);
  std::string m = error_of([] { cifar_record_count(0, "F"); });
  EXPECT_HAS(m, "could not read F because it is empty");
  EXPECT_HAS(m, "found 0 bytes");
  m = error_of([] { cifar_record_count(20 * 3073 - 100, "F"); });
  EXPECT_HAS(m, "truncated or malformed: its size, 61360 bytes, is not a multiple of the 3073-byte");
  EXPECT_HAS(m, "19 complete records, then record 19 (0-based) is incomplete: 2973 of its 3073 bytes");
  EXPECT_HAS(error_of([] { cifar_record_count(5, "F"); }), "0 complete records, then record 0");
  EXPECT_HAS(error_of([] { cifar_record_count(3073ull * 10000000, "F"); }), "too many to load");
}

TEST(CifarFormat, LabelAboveNineNamesRecordAndOffset) {
  Bytes f = cifar_records(6);
  f[4 * 3073] = 200;
  Bytes labels(6, 0xEE), pixels(6 * 3072, 0xEE);
  const std::string m = error_of([&] { split_cifar_records(f.data(), f.size(), "F", labels.data(), pixels.data()); });
  EXPECT_HAS(m, "label 200 in record 4 (0-based, byte offset 12292) is outside 0..9");
  // Nothing was written: every label is checked before the first copy.
  EXPECT_EQ(labels, Bytes(6, 0xEE));
  EXPECT_EQ(pixels, Bytes(6 * 3072, 0xEE));
  f[4 * 3073] = 10;
  EXPECT_HAS(error_of([&] { parse_cifar(f.data(), f.size(), "F"); }), "label 10 in record 4");
}

TEST(CifarFormat, SplitReadsAPrefixOfWholeRecords) {
  const Bytes f = cifar_records(4);
  Bytes labels(2), pixels(2 * 3072);
  split_cifar_records(f.data(), 2 * 3073, "F", labels.data(), pixels.data());
  EXPECT_EQ(labels, (Bytes{0, 1}));
  EXPECT_EQ(pixels[3072 + 5], static_cast<uint8_t>(7 + 5));
  split_cifar_records(f.data(), 0, "F", nullptr, nullptr);  // zero records: nothing to do
}

TEST(CifarFormat, EveryTruncationOfASmallFileFails) {
  const Bytes f = cifar_records(2);
  for (size_t n = 0; n < f.size(); ++n) {
    const Bytes prefix(f.begin(), f.begin() + static_cast<std::ptrdiff_t>(n));
    if (n == 3073) {
      EXPECT_EQ(parse_cifar(prefix.data(), prefix.size(), "F").count, 1);  // one whole record is a valid file
      continue;
    }
    const std::string m = error_of([&] { parse_cifar(prefix.data(), prefix.size(), "F"); });
    EXPECT_TRUE(m.find(n == 0 ? "empty" : "truncated or malformed") != std::string::npos) << n << ": " << m;
  }
}

TEST(CifarFormat, BitFlipsInLabelsAreCaughtAndInPixelsPassThrough) {
  const Bytes f = cifar_records(2);
  int rejected = 0;
  for (size_t bit = 0; bit < f.size() * 8; ++bit) {
    Bytes g = f;
    g[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    const size_t byte = bit / 8;
    const bool label_byte = byte % 3073 == 0;
    try {
      const CifarBatch b = parse_cifar(g.data(), g.size(), "F");
      EXPECT_EQ(b.count, 2);
      if (!label_byte) EXPECT_EQ(b.pixels[byte / 3073 * 3072 + byte % 3073 - 1], g[byte]);
    } catch (const Error& e) {
      ++rejected;
      EXPECT_TRUE(label_byte) << "bit " << bit << ": " << e.what();
      EXPECT_GE(g[byte], 10) << e.what();
    }
  }
  // Labels 0 and 1: flips of bits 0..3 keep them at 9 or below, flips of bits 4..7 (16 and up)
  // push them out of range: 4 rejected flips per label.
  EXPECT_EQ(rejected, 8);
}

// ---------------------------------------------------------------------------------------------
// C API

TEST(IoApi, IdxCheckFileFillsInfoAndChecksArguments) {
  const Bytes f = idx_images(3, 4, 5, 60);
  IdxInfo info{};
  idx_check_file(f.data(), static_cast<int64_t>(f.size()), IDX_IMAGES, "F", &info);
  EXPECT_EQ(info.count, 3);
  EXPECT_EQ(info.rows, 4);
  EXPECT_EQ(info.cols, 5);
  EXPECT_EQ(info.header_bytes, 16);
  EXPECT_EQ(info.data_bytes, 60);
  IdxInfo header{};
  idx_check_header(f.data(), 16, IDX_IMAGES, "F", &header);
  EXPECT_EQ(header.data_bytes, 60);
  EXPECT_EQ(idx_header_size(IDX_LABELS), 8);
  EXPECT_HAS(error_of([&] { idx_check_file(f.data(), 60, 7, "F", &info); }), "kind 7");
  EXPECT_HAS(error_of([&] { idx_check_file(f.data(), -1, IDX_IMAGES, "F", &info); }), "size is negative");
  EXPECT_HAS(error_of([&] { idx_check_file(f.data(), 60, IDX_IMAGES, "F", nullptr); }), "IdxInfo to fill is null");
  EXPECT_HAS(error_of([&] { idx_check_file(f.data(), 10, IDX_IMAGES, nullptr, &info); }), "could not read the data");
}

TEST(IoApi, CifarSplitChecksCapacities) {
  const Bytes f = cifar_records(2);
  Bytes labels(2), pixels(2 * 3072);
  EXPECT_EQ(cifar_count_records(static_cast<int64_t>(f.size()), "F"), 2);
  cifar_split_records(f.data(), static_cast<int64_t>(f.size()), "F", labels.data(), 2, pixels.data(), 2 * 3072);
  EXPECT_EQ(labels, (Bytes{0, 1}));
  EXPECT_HAS(error_of([&] {
               cifar_split_records(f.data(), static_cast<int64_t>(f.size()), "F", labels.data(), 1, pixels.data(),
                                   2 * 3072);
             }),
             "output buffers hold 1 labels");
  EXPECT_HAS(error_of([&] {
               cifar_split_records(f.data(), static_cast<int64_t>(f.size()), "F", labels.data(), 2, pixels.data(),
                                   2 * 3072 - 1);
             }),
             "need 2 and 6144");
  EXPECT_HAS(error_of([] { cifar_count_records(-3, "F"); }), "size is negative");
}

}  // namespace
}  // namespace layerprune
