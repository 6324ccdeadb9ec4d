// A small self-describing binary container: the file format of checkpoints and
// exported models.
//
// Layout (all integers little-endian):
//   magic            8 bytes, chosen by the caller ("LPCKPT01" for checkpoints);
//                    every layerprune container's magic starts with "LP"
//   format version   u32
//   library version  u32 length + bytes
//   record count     u32
//   records          u16 name length + name, u8 type tag, u64 payload length, payload
//   CRC-32           u32 (IEEE 802.3, as zlib's crc32) over every byte before it
//
// The reader checks every length against the bytes that remain (and against sane caps)
// BEFORE it allocates, so a corrupt or hostile file can only raise Error, never crash
// or exhaust memory. Writers replace the target atomically (see write_file_atomically).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace layerprune::io {

enum class RecordType : uint8_t {
  U32 = 1,
  I64 = 2,
  F64 = 3,
  String = 4,
  F32Array = 5,
  I32Array = 6,
  Bytes = 7,
  I64Array = 8,
  F64Array = 9,
};

const char* record_type_name(RecordType type);

struct Record {
  std::string name;
  RecordType type;
  std::vector<uint8_t> payload;  // little-endian values
};

// Caps the reader enforces (a valid file never comes near them).
constexpr size_t kMaxNameLength = 256;
constexpr size_t kMaxLibraryVersionLength = 256;
constexpr uint32_t kMaxRecords = 1u << 20;
constexpr size_t kMagicLength = 8;

// CRC-32 (reflected polynomial 0xEDB88320, initial and final xor 0xFFFFFFFF).
uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc = 0);

class Container {
 public:
  Container() = default;
  Container(std::string magic, uint32_t format_version, std::string library_version);

  const std::string& magic() const { return magic_; }
  uint32_t format_version() const { return format_version_; }
  const std::string& library_version() const { return library_version_; }
  const std::vector<Record>& records() const { return records_; }

  // Writers: a name may appear once.
  void put_u32(const std::string& name, uint32_t value);
  void put_i64(const std::string& name, int64_t value);
  void put_f64(const std::string& name, double value);
  void put_string(const std::string& name, const std::string& value);
  void put_bytes(const std::string& name, const uint8_t* data, size_t size);
  void put_f32_array(const std::string& name, const float* data, size_t count);
  void put_f32_array(const std::string& name, const std::vector<float>& v) { put_f32_array(name, v.data(), v.size()); }
  void put_i32_array(const std::string& name, const std::vector<int32_t>& v);
  void put_i64_array(const std::string& name, const std::vector<int64_t>& v);
  void put_f64_array(const std::string& name, const std::vector<double>& v);

  // Readers: raise Error naming the record when it is missing, has another type or
  // a payload that does not fit the type.
  bool has(const std::string& name) const;
  const Record& get(const std::string& name) const;
  uint32_t get_u32(const std::string& name) const;
  int64_t get_i64(const std::string& name) const;
  double get_f64(const std::string& name) const;
  std::string get_string(const std::string& name) const;
  std::vector<uint8_t> get_bytes(const std::string& name) const;
  std::vector<float> get_f32_array(const std::string& name) const;
  // Copies a float array of exactly `count` values into `out` (no allocation).
  void get_f32_array_into(const std::string& name, float* out, size_t count) const;
  std::vector<int32_t> get_i32_array(const std::string& name) const;
  std::vector<int64_t> get_i64_array(const std::string& name) const;
  std::vector<double> get_f64_array(const std::string& name) const;
  // Number of elements of an array record.
  size_t array_length(const std::string& name) const;

  // The complete file image, checksum included, and its size.
  std::vector<uint8_t> serialize() const;
  size_t serialized_size() const;

 private:
  friend Container parse_container(const uint8_t*, size_t, const struct ReadExpectation&,
                                   const std::string&);
  Record& add(const std::string& name, RecordType type, size_t payload_size);
  const Record& typed(const std::string& name, RecordType type) const;

  std::string magic_;
  uint32_t format_version_ = 0;
  std::string library_version_;
  std::vector<Record> records_;
};

// What the reader expects. An empty `magic` accepts any layerprune container ("LP"
// followed by 6 printable characters): `inspect` reads every kind.
struct ReadExpectation {
  std::string magic;            // e.g. "LPCKPT01"
  std::string kind = "container";  // named in errors: "not a layerprune checkpoint"
  uint32_t max_format_version = 1;
};

// Parses a file image. `source` (a path or "<memory>") prefixes error messages.
// This is the libFuzzer entry point's target: it must raise Error on every bad input.
Container parse_container(const uint8_t* data, size_t size, const ReadExpectation& expect,
                          const std::string& source = "<memory>");

// Reads a whole file (refusing files larger than `max_bytes`) and parses it.
Container read_container(const std::string& path, const ReadExpectation& expect,
                         uint64_t max_bytes = uint64_t{16} << 30);

// Replaces `path` with `bytes` so a crash at any moment leaves either the old or the
// new file, never a mix: write a temporary in the same folder
// ("<name>.tmp.<pid>.<random>"), fflush, fsync, rename over the target, fsync the
// folder. The temporary is removed on any error. Before writing, temporaries of the
// same target left by processes that no longer run (killed mid-save) are deleted;
// those of live processes are left alone.
void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes);

// The temporaries of `path` now present in its folder (tests use this).
std::vector<std::string> temporaries_of(const std::string& path);

}  // namespace layerprune::io
