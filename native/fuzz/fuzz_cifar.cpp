// libFuzzer target of the CIFAR-10 binary parser (io/cifar_format), the one the Java CifarReader
// uses: the size check of a whole file (cifar_record_count), the whole file parsed (parse_cifar),
// and the first whole records split into caller buffers (split_cifar_records, as CifarReader does
// with a record limit). A layerprune::Error is the expected answer to a bad file; anything else,
// or a result that breaks the invariants below, is a crash.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "io/cifar_format.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();  // an invariant broke: report it as a crash
}

// Labels in 0..9 and every byte where the record layout puts it.
void check_records(const uint8_t* data, size_t records, const uint8_t* labels, const uint8_t* pixels) {
  using namespace layerprune;
  for (size_t r = 0; r < records; ++r) {
    const uint8_t* record = data + r * kCifarRecordBytes;
    check(labels[r] < kCifarClasses && labels[r] == record[0]);
    check(std::memcmp(pixels + r * kCifarImageBytes, record + 1, kCifarImageBytes) == 0);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace layerprune;
  try {
    const int64_t n = cifar_record_count(size, "fuzz input");
    check(n > 0 && static_cast<size_t>(n) * kCifarRecordBytes == size);
  } catch (const Error&) {
  }
  try {
    const CifarBatch b = parse_cifar(data, size, "fuzz input");
    check(b.count > 0 && b.labels.size() == static_cast<size_t>(b.count));
    check(b.pixels.size() == static_cast<size_t>(b.count * kCifarImageBytes));
    check_records(data, static_cast<size_t>(b.count), b.labels.data(), b.pixels.data());
  } catch (const Error&) {
  }
  // A record limit: the first whole records only, into exactly sized buffers.
  const size_t records = size / kCifarRecordBytes;
  std::vector<uint8_t> labels(records), pixels(records * kCifarImageBytes);
  try {
    split_cifar_records(data, records * kCifarRecordBytes, "fuzz input", labels.data(), pixels.data());
    check_records(data, records, labels.data(), pixels.data());
  } catch (const Error&) {
  }
  return 0;
}
