// layerprune C API, data files: the IDX (MNIST format) and CIFAR-10 binary parsers of
// native/src/io/, for the Java readers (IdxReader, CifarReader). Java opens the files and
// decompresses gzip; these functions check and parse the bytes. Like api.h: plain C++, POD
// structs, every failure a layerprune::Error whose message names `source` (the file) and says
// what was expected and what was found.
#pragma once
#include <cstdint>

namespace layerprune {

// Kinds of IDX file (both of unsigned bytes).
enum IdxFileKind {
  IDX_IMAGES = 0,  // magic 0x00000803: count, rows, columns
  IDX_LABELS = 1   // magic 0x00000801: count
};

// The shape an IDX header announces; labels have rows = cols = 1.
struct IdxInfo {
  int64_t count;
  int64_t rows;
  int64_t cols;
  int64_t header_bytes;  // the data starts here
  int64_t data_bytes;    // count * rows * cols
};

// Bytes of the header of `kind` (16 for images, 8 for labels).
int64_t idx_header_size(int32_t kind);
// Checks the header at the start of `bytes` (the rest is not looked at) and fills `out`.
void idx_check_header(const uint8_t* bytes, int64_t size, int32_t kind, const char* source, IdxInfo* out);
// Checks a whole file (header, exactly data_bytes of data, nothing after) and fills `out`.
void idx_check_file(const uint8_t* bytes, int64_t size, int32_t kind, const char* source, IdxInfo* out);

// CIFAR-10 binary batches: records of 1 label byte (0..9) and 3072 pixel bytes.
// Records in a file of `file_size` bytes; fails if it is empty or not whole records.
int64_t cifar_count_records(int64_t file_size, const char* source);
// Splits `size` bytes of whole records into labels_out (size / 3073 bytes) and pixels_out
// (3072 bytes per record), after checking every label; the capacities are checked too.
void cifar_split_records(const uint8_t* bytes, int64_t size, const char* source, uint8_t* labels_out,
                         int64_t labels_capacity, uint8_t* pixels_out, int64_t pixels_capacity);

}  // namespace layerprune
