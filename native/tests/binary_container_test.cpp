// The binary container: round trip, every error class, truncation at every byte,
// single-bit flips, atomic writes and stale temporaries.
#include "io/binary_container.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.h"

namespace layerprune::io {
namespace {

std::string message_of(const std::vector<uint8_t>& bytes, const ReadExpectation& expect) {
  try {
    parse_container(bytes.data(), bytes.size(), expect);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ReadExpectation checkpoint_expectation() {
  ReadExpectation e;
  e.magic = "LPCKPT01";
  e.kind = "checkpoint";
  e.max_format_version = 1;
  return e;
}

Container sample() {
  Container c("LPCKPT01", 1, "0.1.0");
  c.put_u32("u", 0xDEADBEEFu);
  c.put_i64("i", -1234567890123LL);
  c.put_f64("d", -0.1);
  c.put_string("s", "hello {\"json\": 1}");
  c.put_f32_array("f", std::vector<float>{1.5f, -0.0f, std::numeric_limits<float>::infinity(), 3e-39f});
  c.put_i32_array("ia", {1, -2, 2147483647});
  c.put_i64_array("la", {-1, 0, 9007199254740993LL});
  c.put_f64_array("da", {0.25, -1e300});
  const uint8_t raw[] = {0, 255, 7};
  c.put_bytes("b", raw, sizeof raw);
  c.put_f32_array("empty", std::vector<float>{});
  return c;
}

std::string temp_folder() {
  char tmpl[] = "/tmp/lp_container_XXXXXX";
  const char* dir = mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  return dir;
}

TEST(Crc32, KnownAnswers) {
  // The standard check value of CRC-32/ISO-HDLC (zlib's crc32).
  const char* check = "123456789";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(check), 9), 0xCBF43926u);
  EXPECT_EQ(crc32(nullptr, 0), 0u);
  const char* fox = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(fox), std::strlen(fox)), 0x414FA339u);
  // Incremental use gives the same value.
  const uint32_t part = crc32(reinterpret_cast<const uint8_t*>(check), 4);
  EXPECT_EQ(crc32(reinterpret_cast<const uint8_t*>(check) + 4, 5, part), 0xCBF43926u);
}

TEST(BinaryContainer, RoundTripKeepsEveryValueBitExact) {
  const std::vector<uint8_t> bytes = sample().serialize();
  const Container c = parse_container(bytes.data(), bytes.size(), checkpoint_expectation());
  EXPECT_EQ(c.magic(), "LPCKPT01");
  EXPECT_EQ(c.format_version(), 1u);
  EXPECT_EQ(c.library_version(), "0.1.0");
  EXPECT_EQ(c.get_u32("u"), 0xDEADBEEFu);
  EXPECT_EQ(c.get_i64("i"), -1234567890123LL);
  EXPECT_EQ(c.get_f64("d"), -0.1);
  EXPECT_EQ(c.get_string("s"), "hello {\"json\": 1}");
  const std::vector<float> f = c.get_f32_array("f");
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[0], 1.5f);
  EXPECT_TRUE(std::signbit(f[1]));
  EXPECT_TRUE(std::isinf(f[2]));
  EXPECT_EQ(f[3], 3e-39f);  // a denormal survives
  EXPECT_EQ(c.get_i32_array("ia"), (std::vector<int32_t>{1, -2, 2147483647}));
  EXPECT_EQ(c.get_i64_array("la"), (std::vector<int64_t>{-1, 0, 9007199254740993LL}));
  EXPECT_EQ(c.get_f64_array("da"), (std::vector<double>{0.25, -1e300}));
  EXPECT_EQ(c.get_bytes("b"), (std::vector<uint8_t>{0, 255, 7}));
  EXPECT_TRUE(c.get_f32_array("empty").empty());
  EXPECT_EQ(c.array_length("la"), 3u);
  float into[4];
  c.get_f32_array_into("f", into, 4);
  EXPECT_EQ(into[0], 1.5f);
  EXPECT_THROW(c.get_f32_array_into("f", into, 3), Error);
  // Serialising the parsed container gives the same bytes.
  EXPECT_EQ(c.serialize(), bytes);
}

TEST(BinaryContainer, AnyLayerpruneMagicIsAcceptedWhenNoneIsExpected) {
  Container c("LPMODEL1", 1, "x");
  c.put_u32("a", 1);
  const std::vector<uint8_t> bytes = c.serialize();
  ReadExpectation any;
  EXPECT_EQ(parse_container(bytes.data(), bytes.size(), any).magic(), "LPMODEL1");
  EXPECT_NE(message_of(bytes, checkpoint_expectation()).find("not a layerprune checkpoint (bad magic 'LPMODEL1'"),
            std::string::npos);
}

TEST(BinaryContainer, WriterRefusesBadNamesAndMagic) {
  EXPECT_THROW(Container("XXCKPT01", 1, ""), Error);
  EXPECT_THROW(Container("LPSHORT", 1, ""), Error);
  Container c("LPCKPT01", 1, "");
  c.put_u32("a", 1);
  EXPECT_THROW(c.put_u32("a", 2), Error);
  EXPECT_THROW(c.put_u32("", 2), Error);
  EXPECT_THROW(c.put_u32(std::string(kMaxNameLength + 1, 'n'), 2), Error);
}

TEST(BinaryContainer, AccessorsNameMissingAndMistypedRecords) {
  const std::vector<uint8_t> bytes = sample().serialize();
  const Container c = parse_container(bytes.data(), bytes.size(), checkpoint_expectation());
  try {
    c.get_u32("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("record 'nope' is missing"), std::string::npos) << e.what();
  }
  try {
    c.get_i64("u");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("record 'u' because it has type u32, expected i64"),
              std::string::npos) << e.what();
  }
}

TEST(BinaryContainer, ForeignAndEmptyFilesAreNamed) {
  const ReadExpectation expect = checkpoint_expectation();
  EXPECT_NE(message_of({}, expect).find("is empty"), std::string::npos);
  // A PNG signature and an IDX header (magic 0x00000803).
  const std::vector<uint8_t> png = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13};
  EXPECT_NE(message_of(png, expect).find("not a layerprune checkpoint (bad magic '\\x89PNG"),
            std::string::npos) << message_of(png, expect);
  const std::vector<uint8_t> idx = {0, 0, 8, 3, 0, 0, 0, 1, 0, 0, 0, 28, 0, 0, 0, 28};
  EXPECT_NE(message_of(idx, expect).find("bad magic"), std::string::npos);
  ReadExpectation any;
  EXPECT_NE(message_of(png, any).find("not a layerprune container (bad magic"), std::string::npos);
  EXPECT_NE(message_of(idx, any).find("bad magic"), std::string::npos);
}

TEST(BinaryContainer, NewerFormatVersionIsRefusedWithBothVersions) {
  Container c("LPCKPT01", 7, "9.9.9");
  const std::vector<uint8_t> bytes = c.serialize();
  const std::string m = message_of(bytes, checkpoint_expectation());
  EXPECT_NE(m.find("format version 7 is newer than this library supports (max 1)"), std::string::npos) << m;
}

TEST(BinaryContainer, TruncationAtEveryByteIsNamed) {
  const std::vector<uint8_t> bytes = sample().serialize();
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    const std::string m = message_of(cut, checkpoint_expectation());
    ASSERT_FALSE(m.empty()) << "a file cut at byte " << n << " parsed";
    if (n == 0) continue;
    EXPECT_NE(m.find("truncated at byte " + std::to_string(n)), std::string::npos)
        << "cut at " << n << ": " << m;
  }
}

TEST(BinaryContainer, EverySingleBitFlipIsDetected) {
  const std::vector<uint8_t> bytes = sample().serialize();
  size_t checksum = 0, other = 0;
  for (size_t byte = 0; byte < bytes.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::vector<uint8_t> flipped = bytes;
      flipped[byte] ^= static_cast<uint8_t>(1u << bit);
      const std::string m = message_of(flipped, checkpoint_expectation());
      ASSERT_FALSE(m.empty()) << "bit " << bit << " of byte " << byte << " flipped went unnoticed";
      (m.find("checksum mismatch") != std::string::npos ? checksum : other)++;
    }
  }
  // Payload bits are caught by the checksum; header bits by the structural checks.
  EXPECT_GT(checksum, 0u);
  EXPECT_GT(other, 0u);
}

TEST(BinaryContainer, StructuralCorruptionIsNamed) {
  const ReadExpectation expect = checkpoint_expectation();
  Container c("LPCKPT01", 1, "v");
  c.put_f32_array("w", std::vector<float>{1, 2});
  std::vector<uint8_t> bytes = c.serialize();
  // Offsets: magic 0-7, version 8-11, lib len 12-15, lib 16, count 17-20, name len 21-22,
  // name 23, tag 24, length 25-32, payload 33-40, crc 41-44.
  auto patched = [&](size_t at, uint8_t value) {
    std::vector<uint8_t> b = bytes;
    b[at] = value;
    return message_of(b, expect);
  };
  EXPECT_NE(patched(8, 0).find("format version is 0"), std::string::npos);
  EXPECT_NE(patched(15, 0x40).find("library version length"), std::string::npos);
  EXPECT_NE(patched(20, 0x7f).find("record count"), std::string::npos);
  EXPECT_NE(patched(22, 0x10).find("name length"), std::string::npos);
  EXPECT_NE(patched(24, 0x33).find("unknown type tag 51"), std::string::npos);
  EXPECT_NE(patched(25, 7).find("has length 7"), std::string::npos);
  EXPECT_NE(patched(32, 0x01).find("truncated"), std::string::npos);
  EXPECT_NE(patched(33, 0x01).find("checksum mismatch"), std::string::npos);
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_NE(message_of(longer, expect).find("unexpected bytes after the checksum"), std::string::npos);
  // A record name that appears twice.
  Container twice("LPCKPT01", 1, "v");
  twice.put_u32("aa", 1);
  twice.put_u32("ab", 2);
  std::vector<uint8_t> t = twice.serialize();
  const size_t second_name = 21 + 2 + 2 + 1 + 8 + 4 + 2 + 1;  // the 'b' of "ab"
  ASSERT_EQ(t[second_name], 'b');
  t[second_name] = 'a';
  const uint32_t crc = crc32(t.data(), t.size() - 4);
  for (int i = 0; i < 4; ++i) t[t.size() - 4 + i] = static_cast<uint8_t>(crc >> (8 * i));
  EXPECT_NE(message_of(t, expect).find("appears twice"), std::string::npos) << message_of(t, expect);
}

TEST(BinaryContainer, AtomicWriteReplacesTheTargetAndLeavesNoTemporary) {
  const std::string dir = temp_folder();
  const std::string path = dir + "/a.lpckpt";
  const std::vector<uint8_t> first = sample().serialize();
  write_file_atomically(path, first);
  Container second("LPCKPT01", 1, "0.1.0");
  second.put_u32("x", 2);
  write_file_atomically(path, second.serialize());
  const Container back = read_container(path, checkpoint_expectation());
  EXPECT_EQ(back.get_u32("x"), 2u);
  EXPECT_TRUE(temporaries_of(path).empty());
  std::remove(path.c_str());
  rmdir(dir.c_str());
}

TEST(BinaryContainer, StaleTemporariesOfDeadProcessesAreRemovedOnTheNextSave) {
  const std::string dir = temp_folder();
  const std::string path = dir + "/b.lpckpt";
  // pid 2^22+1 exceeds the default pid_max, so no process has it; our parent is alive.
  const std::string dead = dir + "/b.lpckpt.tmp.4194305.abc";
  const std::string alive = dir + "/b.lpckpt.tmp." + std::to_string(getppid()) + ".abc";
  const std::string other = dir + "/c.lpckpt.tmp.4194305.abc";
  for (const std::string& p : {dead, alive, other}) std::ofstream(p) << "partial";
  EXPECT_EQ(temporaries_of(path).size(), 2u);
  write_file_atomically(path, sample().serialize());
  const std::vector<std::string> left = temporaries_of(path);
  ASSERT_EQ(left.size(), 1u);  // the live process's temporary is not ours to delete
  EXPECT_EQ(dir + "/" + left[0], alive);
  struct stat st;
  EXPECT_EQ(stat(other.c_str(), &st), 0);  // another target's temporary is untouched
  for (const std::string& p : {alive, other, path}) std::remove(p.c_str());
  rmdir(dir.c_str());
}

TEST(BinaryContainer, FailedWriteLeavesTheOldFileAndNoTemporary) {
  const std::string path = "/nonexistent-folder-lp/x.lpckpt";
  try {
    write_file_atomically(path, sample().serialize());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("could not save /nonexistent-folder-lp/x.lpckpt"),
              std::string::npos) << e.what();
  }
  // Renaming over a folder fails after the temporary was written: it must be removed.
  const std::string dir = temp_folder();
  const std::string target = dir + "/sub";
  ASSERT_EQ(mkdir(target.c_str(), 0755), 0);
  std::ofstream(target + "/keep") << "x";  // a non-empty folder cannot be replaced
  EXPECT_THROW(write_file_atomically(target, sample().serialize()), Error);
  EXPECT_TRUE(temporaries_of(target).empty());
  std::remove((target + "/keep").c_str());
  rmdir(target.c_str());
  rmdir(dir.c_str());
}

TEST(BinaryContainer, ReadingAMissingFileOrAFolderIsNamed) {
  try {
    read_container("/nonexistent-lp.lpckpt", checkpoint_expectation());
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_container("/tmp", checkpoint_expectation()), Error);
}

}  // namespace
}  // namespace layerprune::io
