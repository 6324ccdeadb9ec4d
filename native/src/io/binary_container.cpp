#include "io/binary_container.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

#include "core/error.h"

namespace layerprune::io {

namespace {

std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t n = 0; n < 256; ++n) {
    uint32_t c = n;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[n] = c;
  }
  return table;
}

// Little-endian append / load helpers (the format does not depend on the host's order).
template <typename T>
void append_le(std::vector<uint8_t>& out, T value) {
  static_assert(std::is_integral<T>::value, "integers only");
  using U = typename std::make_unsigned<T>::type;
  U u = static_cast<U>(value);
  for (size_t i = 0; i < sizeof(T); ++i) out.push_back(static_cast<uint8_t>(u >> (8 * i)));
}

template <typename T>
T load_le(const uint8_t* p) {
  using U = typename std::make_unsigned<T>::type;
  U u = 0;
  for (size_t i = 0; i < sizeof(T); ++i) u |= static_cast<U>(static_cast<U>(p[i]) << (8 * i));
  return static_cast<T>(u);
}

template <typename T>
void store_le(uint8_t* p, T value) {
  using U = typename std::make_unsigned<T>::type;
  U u = static_cast<U>(value);
  for (size_t i = 0; i < sizeof(T); ++i) p[i] = static_cast<uint8_t>(u >> (8 * i));
}

template <typename Float, typename Bits>
Bits float_bits(Float f) {
  static_assert(sizeof(Float) == sizeof(Bits), "same size");
  Bits b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

template <typename Float, typename Bits>
Float bits_float(Bits b) {
  Float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

size_t element_size(RecordType type) {
  switch (type) {
    case RecordType::U32: return 4;
    case RecordType::I64: return 8;
    case RecordType::F64: return 8;
    case RecordType::String: return 1;
    case RecordType::F32Array: return 4;
    case RecordType::I32Array: return 4;
    case RecordType::Bytes: return 1;
    case RecordType::I64Array: return 8;
    case RecordType::F64Array: return 8;
  }
  return 0;
}

bool known_type(uint8_t tag) { return tag >= 1 && tag <= 9; }

bool scalar_type(RecordType type) {
  return type == RecordType::U32 || type == RecordType::I64 || type == RecordType::F64;
}

// Bounds-checked cursor over the file image: every read names the byte where the
// file ran out.
class Cursor {
 public:
  Cursor(const uint8_t* data, size_t size, const std::string& source)
      : data_(data), size_(size), source_(source) {}

  size_t position() const { return pos_; }
  size_t remaining() const { return size_ - pos_; }

  void need(size_t bytes, const char* what) const {
    if (bytes > remaining())
      fail("could not read ", source_, " because it is truncated at byte ", size_, " (", what,
           " needs ", bytes, " bytes at offset ", pos_, ", ", remaining(), " left)");
  }
  const uint8_t* take(size_t bytes, const char* what) {
    need(bytes, what);
    const uint8_t* p = data_ + pos_;
    pos_ += bytes;
    return p;
  }
  template <typename T>
  T read(const char* what) {
    return load_le<T>(take(sizeof(T), what));
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
  const std::string& source_;
};

bool printable(const std::string& s) {
  for (char c : s)
    if (c < 0x20 || c > 0x7e) return false;
  return true;
}

std::string printable_magic(const uint8_t* p, size_t n) {
  std::string out;
  char buf[8];
  for (size_t i = 0; i < n; ++i) {
    if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\') {
      out.push_back(static_cast<char>(p[i]));
    } else {
      std::snprintf(buf, sizeof buf, "\\x%02x", p[i]);
      out += buf;
    }
  }
  return out;
}

std::string folder_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string base_of(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string temporary_prefix(const std::string& path) { return base_of(path) + ".tmp."; }

// The pid in "<name>.tmp.<pid>.<random>", or -1 when the name does not have that form.
long temporary_pid(const std::string& entry, const std::string& prefix) {
  if (entry.compare(0, prefix.size(), prefix) != 0) return -1;
  const std::string rest = entry.substr(prefix.size());
  const size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string::npos || dot > 10) return -1;
  long pid = 0;
  for (size_t i = 0; i < dot; ++i) {
    if (rest[i] < '0' || rest[i] > '9') return -1;
    pid = pid * 10 + (rest[i] - '0');
  }
  return pid;
}

bool process_alive(long pid) {
  if (pid <= 0) return false;
  if (pid == static_cast<long>(getpid())) return true;
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

void remove_stale_temporaries(const std::string& path) {
  const std::string folder = folder_of(path);
  const std::string prefix = temporary_prefix(path);
  for (const std::string& entry : temporaries_of(path)) {
    const long pid = temporary_pid(entry, prefix);
    // Our own pid's temporaries can only be left from an earlier failed save of
    // this process (each save removes its temporary on error), so they are stale too
    // unless another thread is saving the same target right now; we do not support that.
    if (pid > 0 && pid != static_cast<long>(getpid()) && process_alive(pid)) continue;
    ::unlink((folder + "/" + entry).c_str());
  }
}

std::string errno_text() { return std::strerror(errno); }

// Loops over short writes. (KilledSaveTest slows the writes of a temporary down with an LD_PRELOAD
// shim, native/tests/hooks/write_delay_shim.c, that makes every write() of one write at most 256 KiB
// and sleep: the library itself has no fault hook.)
void write_all(int fd, const uint8_t* data, size_t size, const std::string& tmp) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("could not write ", tmp, " because ", errno_text());
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
}

}  // namespace

uint32_t crc32(const uint8_t* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = make_crc_table();
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ data[i]) & 0xFFu] ^ (crc >> 8);
  return ~crc;
}

const char* record_type_name(RecordType type) {
  switch (type) {
    case RecordType::U32: return "u32";
    case RecordType::I64: return "i64";
    case RecordType::F64: return "f64";
    case RecordType::String: return "string";
    case RecordType::F32Array: return "f32[]";
    case RecordType::I32Array: return "i32[]";
    case RecordType::Bytes: return "bytes";
    case RecordType::I64Array: return "i64[]";
    case RecordType::F64Array: return "f64[]";
  }
  return "unknown";
}

Container::Container(std::string magic, uint32_t format_version, std::string library_version)
    : magic_(std::move(magic)),
      format_version_(format_version),
      library_version_(std::move(library_version)) {
  require(magic_.size() == kMagicLength && magic_.compare(0, 2, "LP") == 0 && printable(magic_),
          "could not create a container because its magic must be 8 printable characters "
          "starting with LP, got '", magic_, "'");
  require(library_version_.size() <= kMaxLibraryVersionLength,
          "could not create a container because the library version is too long");
}

Record& Container::add(const std::string& name, RecordType type, size_t payload_size) {
  require(!name.empty() && name.size() <= kMaxNameLength,
          "could not add record '", name, "' because its name must have 1 to ", kMaxNameLength,
          " characters");
  require(!has(name), "could not add record '", name, "' because it is already present");
  require(records_.size() < kMaxRecords, "could not add record '", name,
          "' because the container holds the maximum of ", kMaxRecords, " records");
  records_.push_back(Record{name, type, std::vector<uint8_t>(payload_size)});
  return records_.back();
}

void Container::put_u32(const std::string& name, uint32_t value) {
  store_le(add(name, RecordType::U32, 4).payload.data(), value);
}
void Container::put_i64(const std::string& name, int64_t value) {
  store_le(add(name, RecordType::I64, 8).payload.data(), value);
}
void Container::put_f64(const std::string& name, double value) {
  store_le(add(name, RecordType::F64, 8).payload.data(), float_bits<double, uint64_t>(value));
}
void Container::put_string(const std::string& name, const std::string& value) {
  Record& r = add(name, RecordType::String, value.size());
  if (!value.empty()) std::memcpy(r.payload.data(), value.data(), value.size());  // empty payload: data() may be null
}
void Container::put_bytes(const std::string& name, const uint8_t* data, size_t size) {
  Record& r = add(name, RecordType::Bytes, size);
  if (size) std::memcpy(r.payload.data(), data, size);
}
void Container::put_f32_array(const std::string& name, const float* data, size_t count) {
  Record& r = add(name, RecordType::F32Array, count * 4);
  for (size_t i = 0; i < count; ++i)
    store_le(r.payload.data() + 4 * i, float_bits<float, uint32_t>(data[i]));
}
void Container::put_i32_array(const std::string& name, const std::vector<int32_t>& v) {
  Record& r = add(name, RecordType::I32Array, v.size() * 4);
  for (size_t i = 0; i < v.size(); ++i) store_le(r.payload.data() + 4 * i, v[i]);
}
void Container::put_i64_array(const std::string& name, const std::vector<int64_t>& v) {
  Record& r = add(name, RecordType::I64Array, v.size() * 8);
  for (size_t i = 0; i < v.size(); ++i) store_le(r.payload.data() + 8 * i, v[i]);
}
void Container::put_f64_array(const std::string& name, const std::vector<double>& v) {
  Record& r = add(name, RecordType::F64Array, v.size() * 8);
  for (size_t i = 0; i < v.size(); ++i)
    store_le(r.payload.data() + 8 * i, float_bits<double, uint64_t>(v[i]));
}

bool Container::has(const std::string& name) const {
  for (const Record& r : records_)
    if (r.name == name) return true;
  return false;
}

const Record& Container::get(const std::string& name) const {
  for (const Record& r : records_)
    if (r.name == name) return r;
  fail("could not read the ", magic_, " container because record '", name, "' is missing");
}

const Record& Container::typed(const std::string& name, RecordType type) const {
  const Record& r = get(name);
  require(r.type == type, "could not read record '", name, "' because it has type ",
          record_type_name(r.type), ", expected ", record_type_name(type));
  return r;
}

uint32_t Container::get_u32(const std::string& name) const {
  return load_le<uint32_t>(typed(name, RecordType::U32).payload.data());
}
int64_t Container::get_i64(const std::string& name) const {
  return load_le<int64_t>(typed(name, RecordType::I64).payload.data());
}
double Container::get_f64(const std::string& name) const {
  return bits_float<double, uint64_t>(load_le<uint64_t>(typed(name, RecordType::F64).payload.data()));
}
std::string Container::get_string(const std::string& name) const {
  const Record& r = typed(name, RecordType::String);
  return std::string(r.payload.begin(), r.payload.end());
}
std::vector<uint8_t> Container::get_bytes(const std::string& name) const {
  return typed(name, RecordType::Bytes).payload;
}
std::vector<float> Container::get_f32_array(const std::string& name) const {
  const Record& r = typed(name, RecordType::F32Array);
  std::vector<float> v(r.payload.size() / 4);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = bits_float<float, uint32_t>(load_le<uint32_t>(r.payload.data() + 4 * i));
  return v;
}
void Container::get_f32_array_into(const std::string& name, float* out, size_t count) const {
  const Record& r = typed(name, RecordType::F32Array);
  require(r.payload.size() == count * 4, "could not read record '", name, "' because it holds ",
          r.payload.size() / 4, " floats, expected ", count);
  for (size_t i = 0; i < count; ++i)
    out[i] = bits_float<float, uint32_t>(load_le<uint32_t>(r.payload.data() + 4 * i));
}
std::vector<int32_t> Container::get_i32_array(const std::string& name) const {
  const Record& r = typed(name, RecordType::I32Array);
  std::vector<int32_t> v(r.payload.size() / 4);
  for (size_t i = 0; i < v.size(); ++i) v[i] = load_le<int32_t>(r.payload.data() + 4 * i);
  return v;
}
std::vector<int64_t> Container::get_i64_array(const std::string& name) const {
  const Record& r = typed(name, RecordType::I64Array);
  std::vector<int64_t> v(r.payload.size() / 8);
  for (size_t i = 0; i < v.size(); ++i) v[i] = load_le<int64_t>(r.payload.data() + 8 * i);
  return v;
}
std::vector<double> Container::get_f64_array(const std::string& name) const {
  const Record& r = typed(name, RecordType::F64Array);
  std::vector<double> v(r.payload.size() / 8);
  for (size_t i = 0; i < v.size(); ++i)
    v[i] = bits_float<double, uint64_t>(load_le<uint64_t>(r.payload.data() + 8 * i));
  return v;
}
size_t Container::array_length(const std::string& name) const {
  const Record& r = get(name);
  return r.payload.size() / element_size(r.type);
}

size_t Container::serialized_size() const {
  size_t total = kMagicLength + 4 + 4 + library_version_.size() + 4 + 4;
  for (const Record& r : records_) total += 2 + r.name.size() + 1 + 8 + r.payload.size();
  return total;
}

std::vector<uint8_t> Container::serialize() const {
  std::vector<uint8_t> out;
  out.reserve(serialized_size());
  out.insert(out.end(), magic_.begin(), magic_.end());
  append_le<uint32_t>(out, format_version_);
  append_le<uint32_t>(out, static_cast<uint32_t>(library_version_.size()));
  out.insert(out.end(), library_version_.begin(), library_version_.end());
  append_le<uint32_t>(out, static_cast<uint32_t>(records_.size()));
  for (const Record& r : records_) {
    append_le<uint16_t>(out, static_cast<uint16_t>(r.name.size()));
    out.insert(out.end(), r.name.begin(), r.name.end());
    out.push_back(static_cast<uint8_t>(r.type));
    append_le<uint64_t>(out, r.payload.size());
    out.insert(out.end(), r.payload.begin(), r.payload.end());
  }
  append_le<uint32_t>(out, crc32(out.data(), out.size()));
  return out;
}

Container parse_container(const uint8_t* data, size_t size, const ReadExpectation& expect,
                          const std::string& source) {
  const std::string& kind = expect.kind;
  if (size == 0) fail("could not read ", source, " because it is empty (not a layerprune ", kind, ")");
  if (data == nullptr) fail("could not read ", source, " because no data was given");
  // Magic first: a foreign file (a PNG, an IDX file) is named as such, not as truncated.
  const size_t magic_bytes = size < kMagicLength ? size : kMagicLength;
  const std::string magic(reinterpret_cast<const char*>(data), magic_bytes);
  const size_t lp = magic_bytes < 2 ? magic_bytes : 2;
  const bool magic_ok = !expect.magic.empty()
                            ? expect.magic.compare(0, magic_bytes, magic) == 0
                            : magic.compare(0, lp, std::string("LP"), 0, lp) == 0 && printable(magic);
  if (!magic_ok)
    fail("could not read ", source, " because it is not a layerprune ", kind, " (bad magic '",
         printable_magic(data, magic_bytes), "'",
         expect.magic.empty() ? std::string() : ", expected '" + expect.magic + "'", ")");
  Cursor in(data, size, source);
  in.take(kMagicLength, "the magic");
  const uint32_t version = in.read<uint32_t>("the format version");
  if (version == 0)
    fail("could not read ", source, " because its format version is 0 (corrupt)");
  if (version > expect.max_format_version)
    fail("could not read ", source, " because its format version ", version,
         " is newer than this library supports (max ", expect.max_format_version, ")");
  const uint32_t lib_len = in.read<uint32_t>("the library version length");
  if (lib_len > kMaxLibraryVersionLength)
    fail("could not read ", source, " because its library version length ", lib_len,
         " exceeds ", kMaxLibraryVersionLength, " (corrupt)");
  const uint8_t* lib = in.take(lib_len, "the library version");
  const uint32_t count = in.read<uint32_t>("the record count");
  if (count > kMaxRecords)
    fail("could not read ", source, " because its record count ", count, " exceeds ", kMaxRecords,
         " (corrupt)");
  // Each record takes at least 11 header bytes: a count larger than the bytes left
  // allow is corrupt, and checking it before reserve() keeps allocation bounded.
  if (static_cast<uint64_t>(count) * 11 > in.remaining())
    fail("could not read ", source, " because it is truncated at byte ", size, " (", count,
         " records need at least ", static_cast<uint64_t>(count) * 11, " bytes, ", in.remaining(),
         " left)");

  Container out;
  out.magic_ = magic;
  out.format_version_ = version;
  out.library_version_.assign(reinterpret_cast<const char*>(lib), lib_len);
  out.records_.reserve(count);
  std::set<std::string> names;
  for (uint32_t i = 0; i < count; ++i) {
    const uint16_t name_len = in.read<uint16_t>("a record name length");
    if (name_len == 0 || name_len > kMaxNameLength)
      fail("could not read ", source, " because record ", i, " has a name length of ", name_len,
           " at byte ", in.position() - 2, " (corrupt)");
    const uint8_t* name = in.take(name_len, "a record name");
    std::string record_name(reinterpret_cast<const char*>(name), name_len);
    if (!printable(record_name))
      fail("could not read ", source, " because record ", i, " has an unprintable name (corrupt)");
    const uint8_t tag = in.read<uint8_t>("a record type");
    if (!known_type(tag))
      fail("could not read ", source, " because record '", record_name, "' has unknown type tag ",
           static_cast<int>(tag), " (corrupt or written by a newer library)");
    const RecordType type = static_cast<RecordType>(tag);
    const uint64_t length = in.read<uint64_t>("a record length");
    if (length > in.remaining())
      fail("could not read ", source, " because it is truncated at byte ", size, " (record '",
           record_name, "' declares ", length, " bytes at offset ", in.position(), ", ",
           in.remaining(), " left)");
    if (scalar_type(type) ? length != element_size(type) : length % element_size(type) != 0)
      fail("could not read ", source, " because record '", record_name, "' of type ",
           record_type_name(type), " has length ", length, " (corrupt)");
    if (!names.insert(record_name).second)
      fail("could not read ", source, " because record '", record_name, "' appears twice (corrupt)");
    const uint8_t* payload = in.take(static_cast<size_t>(length), "a record payload");
    out.records_.push_back(Record{std::move(record_name), type,
                                  std::vector<uint8_t>(payload, payload + length)});
  }
  const size_t body = in.position();
  if (in.remaining() < 4)
    fail("could not read ", source, " because it is truncated at byte ", size,
         " (the checksum needs 4 bytes at offset ", body, ", ", in.remaining(), " left)");
  const uint32_t stored = in.read<uint32_t>("the checksum");
  if (in.remaining() != 0)
    fail("could not read ", source, " because it has ", in.remaining(),
         " unexpected bytes after the checksum (corrupt)");
  const uint32_t actual = crc32(data, body);
  if (stored != actual)
    fail("could not read ", source, " because of a checksum mismatch (stored ", stored,
         ", computed ", actual, "): the file is corrupt");
  return out;
}

Container read_container(const std::string& path, const ReadExpectation& expect, uint64_t max_bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("could not read ", path, " because ", errno_text());
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail("could not read ", path, " because it is not a regular file");
  }
  if (static_cast<uint64_t>(st.st_size) > max_bytes) {
    ::close(fd);
    fail("could not read ", path, " because it has ", st.st_size, " bytes, more than the limit of ",
         max_bytes);
  }
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = n < 0 ? errno_text() : "it shrank while being read";
      ::close(fd);
      fail("could not read ", path, " because ", why);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return parse_container(bytes.data(), bytes.size(), expect, path);
}

std::vector<std::string> temporaries_of(const std::string& path) {
  std::vector<std::string> out;
  const std::string prefix = temporary_prefix(path);
  DIR* dir = ::opendir(folder_of(path).c_str());
  if (dir == nullptr) return out;
  while (const dirent* e = ::readdir(dir)) {
    const std::string name = e->d_name;
    if (temporary_pid(name, prefix) > 0) out.push_back(name);
  }
  ::closedir(dir);
  return out;
}

void write_file_atomically(const std::string& path, const std::vector<uint8_t>& bytes) {
  require(!path.empty(), "could not save because no file name was given");
  remove_stale_temporaries(path);
  // Unique per process and call: pid, a per-process counter and the clock.
  static std::atomic<uint64_t> counter{0};
  const uint64_t unique =
      (static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) << 8) ^
      counter.fetch_add(1);
  char suffix[64];
  std::snprintf(suffix, sizeof suffix, "%ld.%llx", static_cast<long>(getpid()),
                static_cast<unsigned long long>(unique));
  const std::string folder = folder_of(path);
  const std::string tmp = folder + "/" + temporary_prefix(path) + suffix;

  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) fail("could not save ", path, " because the temporary ", tmp, " could not be created: ", errno_text());
  try {
    write_all(fd, bytes.data(), bytes.size(), tmp);
    if (::fsync(fd) != 0) fail("could not save ", path, " because fsync failed: ", errno_text());
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  if (::close(fd) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    fail("could not save ", path, " because closing the temporary failed: ", why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const std::string why = errno_text();
    ::unlink(tmp.c_str());
    fail("could not save ", path, " because renaming the temporary over it failed: ", why);
  }
  // The rename is durable only once the folder's entry is on disk.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace layerprune::io
