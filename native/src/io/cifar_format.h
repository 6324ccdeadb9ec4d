// CIFAR-10 binary batches (data_batch_1.bin .. data_batch_5.bin, test_batch.bin) parsed from memory.
//
// A batch is a sequence of 3073-byte records: 1 label byte (0..9), then 3072 pixel bytes (the 32x32
// red plane, then green, then blue, each row-major). There is no header, so the file's size is the
// only structure: it must be a whole, non-zero number of records. Every check happens before
// anything is allocated; a problem throws layerprune::Error naming the source and the record. These
// functions are the only CIFAR-10 parser of the product (the Java CifarReader calls them through
// api_io.h) and the target of native/fuzz/fuzz_cifar.cpp.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace layerprune {

constexpr int64_t kCifarImageBytes = 3 * 32 * 32;
constexpr int64_t kCifarRecordBytes = 1 + kCifarImageBytes;
constexpr int kCifarClasses = 10;
// The most records one batch may hold: its bytes must fit a Java byte[].
constexpr int64_t kCifarMaxRecords = (INT32_MAX - 16) / kCifarRecordBytes;

// The number of records in a batch file of `file_size` bytes. Throws if the file is empty, is
// not a whole number of records (naming the incomplete record) or holds more than
// kCifarMaxRecords.
int64_t cifar_record_count(uint64_t file_size, const std::string& source);

// Splits `size` bytes of whole records (a file, or its first records) into `labels` (one byte per
// record) and `pixels` (3072 bytes per record, CHW as in the file), after checking that `size` is
// a whole number of records and that every label lies in 0..9. Nothing is written if a check
// fails. `labels` and `pixels` must hold size / 3073 and 3072 * size / 3073 bytes.
void split_cifar_records(const uint8_t* bytes, size_t size, const std::string& source, uint8_t* labels,
                         uint8_t* pixels);

// A whole batch file, parsed.
struct CifarBatch {
  int64_t count = 0;
  std::vector<uint8_t> labels;  // count, 0..9
  std::vector<uint8_t> pixels;  // count * 3072, CHW per record
};

// Parses a whole batch file: cifar_record_count, then split_cifar_records.
CifarBatch parse_cifar(const uint8_t* bytes, size_t size, const std::string& source);

}  // namespace layerprune
