// Writes the seed corpus of fuzz_checkpoint (native/fuzz/corpus/checkpoint/, checked in) with the
// real container writer, so the seeds follow the format: a tiny checkpoint-like container with one
// record of every type, an empty one, one of another kind of container, and truncations of the
// first at a few places (header, inside a record, before the checksum).
//
//   target/native-fuzz/bin/make_checkpoint_corpus native/fuzz/corpus/checkpoint
#include <cstdio>
#include <string>
#include <vector>

#include "io/binary_container.h"

namespace io = layerprune::io;

static bool write(const std::string& folder, const std::string& name, const std::vector<uint8_t>& bytes,
                  size_t size) {
  const std::string path = folder + "/" + name;
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(bytes.data(), 1, size, f) == size;
  return std::fclose(f) == 0 && ok;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_checkpoint_corpus FOLDER\n");
    return 2;
  }
  const std::string folder = argv[1];
  io::Container c("LPCKPT01", 1, "0.1.0");
  c.put_u32("model.kind", 1);
  c.put_i64("trainer.step", 42);
  c.put_f64("config.lambda", 0.01);
  c.put_string("model.name", "mlp");
  const uint8_t raw[] = {1, 2, 3};
  c.put_bytes("trainer.rng_state", raw, sizeof raw);
  c.put_f32_array("section.0.weight", std::vector<float>{0.5f, -1.25f, 2.0f, 0.0f});
  c.put_i32_array("model.pruned", {0, 1, 0});
  c.put_i64_array("trainer.order", {2, 0, 1});
  c.put_f64_array("model.theta", {1.0, 0.75, 0.0});
  const std::vector<uint8_t> full = c.serialize();

  const std::vector<uint8_t> empty = io::Container("LPCKPT01", 1, "").serialize();
  io::Container other("LPMODEL1", 1, "0.1.0");
  other.put_f32_array("head.weight", std::vector<float>{1.0f, 2.0f});
  const std::vector<uint8_t> model = other.serialize();

  bool ok = write(folder, "checkpoint_all_types", full, full.size()) &&
            write(folder, "checkpoint_empty", empty, empty.size()) &&
            write(folder, "other_container", model, model.size());
  for (size_t cut : {size_t{6}, size_t{20}, full.size() / 2, full.size() - 4, full.size() - 1})
    ok = ok && write(folder, "checkpoint_cut_" + std::to_string(cut), full, cut);
  if (!ok) {
    std::perror(("could not write the corpus into " + folder).c_str());
    return 1;
  }
  return 0;
}
