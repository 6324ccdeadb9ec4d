#include "io/cifar_format.h"

#include <cstring>

#include "core/error.h"

namespace layerprune {
namespace {

const char* plural(uint64_t n) { return n == 1 ? "" : "s"; }

// Whole records only; names the incomplete one (0-based) and how much of it is there.
void require_whole_records(uint64_t size, const std::string& source) {
  const uint64_t complete = size / kCifarRecordBytes;
  const uint64_t rest = size % kCifarRecordBytes;
  require(rest == 0, "could not read ", source, " because it is truncated or malformed: its size, ", size,
          " bytes, is not a multiple of the ", kCifarRecordBytes,
          "-byte CIFAR-10 record (1 label byte + 3072 pixel bytes); ", complete, " complete record", plural(complete),
          ", then record ", complete, " (0-based) is incomplete: ", rest, " of its ", kCifarRecordBytes, " bytes");
}

// Whole records, not too many, every label in 0..9; returns the number of records.
size_t check_records(const uint8_t* bytes, size_t size, const std::string& source) {
  require(bytes != nullptr || size == 0, "could not read ", source, " because its bytes are null");
  require_whole_records(size, source);
  const size_t records = size / kCifarRecordBytes;
  require(records <= static_cast<uint64_t>(kCifarMaxRecords), "could not read ", source, " because its ", records,
          " records are too many to load (at most ", kCifarMaxRecords, ")");
  for (size_t r = 0; r < records; ++r) {
    const int label = bytes[r * kCifarRecordBytes];
    require(label < kCifarClasses, "could not read ", source, " because label ", label, " in record ", r,
            " (0-based, byte offset ", r * kCifarRecordBytes, ") is outside 0..9 (CIFAR-10 has ", kCifarClasses,
            " classes); is this the CIFAR-10 binary version (not CIFAR-100)?");
  }
  return records;
}

// De-interleaves checked records: label bytes to `labels`, pixel bytes to `pixels`.
void copy_records(const uint8_t* bytes, size_t records, uint8_t* labels, uint8_t* pixels) {
  for (size_t r = 0; r < records; ++r) {
    const uint8_t* record = bytes + r * kCifarRecordBytes;
    labels[r] = record[0];
    std::memcpy(pixels + r * kCifarImageBytes, record + 1, kCifarImageBytes);
  }
}

}  // namespace

int64_t cifar_record_count(uint64_t file_size, const std::string& source) {
  require(file_size > 0, "could not read ", source, " because it is empty: expected CIFAR-10 records of ",
          kCifarRecordBytes, " bytes (1 label byte + 3072 pixel bytes), found 0 bytes");
  require_whole_records(file_size, source);
  const uint64_t records = file_size / kCifarRecordBytes;
  require(records <= static_cast<uint64_t>(kCifarMaxRecords), "could not read ", source, " because its ", records,
          " records are too many to load (at most ", kCifarMaxRecords, ")");
  return static_cast<int64_t>(records);
}

void split_cifar_records(const uint8_t* bytes, size_t size, const std::string& source, uint8_t* labels,
                         uint8_t* pixels) {
  const size_t records = check_records(bytes, size, source);
  if (records == 0) return;
  require(labels != nullptr && pixels != nullptr, "could not read ", source, " because the output buffers are null");
  copy_records(bytes, records, labels, pixels);
}

CifarBatch parse_cifar(const uint8_t* bytes, size_t size, const std::string& source) {
  CifarBatch batch;
  batch.count = cifar_record_count(size, source);
  check_records(bytes, size, source);  // every label, before anything is allocated
  batch.labels.resize(static_cast<size_t>(batch.count));
  batch.pixels.resize(static_cast<size_t>(batch.count * kCifarImageBytes));
  copy_records(bytes, static_cast<size_t>(batch.count), batch.labels.data(), batch.pixels.data());
  return batch;
}

}  // namespace layerprune
