#include "core/communicator.h"

#include <dlfcn.h>

#include <cstdlib>
#include <string>

#include "core/error.h"

namespace layerprune {
namespace {

class SingleProcess final : public Communicator {
 public:
  const char* name() const override { return "single-process"; }
  int32_t rank() const override { return 0; }
  int32_t size() const override { return 1; }
  void all_reduce_sum(float*, int64_t, const char*) override {}
  bool same_on_every_rank(uint64_t, const char*) override { return true; }
};

// The plugin's one entry point (native/plugins/mpi/mpi_communicator.cpp).
using CreateFn = Communicator* (*)(double timeout_seconds, char* error, int32_t error_capacity);

// liblayerprune_mpi.so beside this library (the build's lib/ folder, or the folder JavaCPP
// extracted the jar's libraries to), else wherever the dynamic linker finds it.
std::string plugin_path() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&make_single_process_communicator), &info) != 0 && info.dli_fname) {
    std::string self = info.dli_fname;
    const size_t slash = self.rfind('/');
    if (slash != std::string::npos) return self.substr(0, slash + 1) + "liblayerprune_mpi.so";
  }
  return "liblayerprune_mpi.so";
}

double default_timeout() {
  const char* v = std::getenv("LAYERPRUNE_COMM_TIMEOUT");
  if (v == nullptr || *v == '\0') return 120.0;
  char* end = nullptr;
  const double t = std::strtod(v, &end);
  require(end != v && *end == '\0' && t > 0, "LAYERPRUNE_COMM_TIMEOUT must be a number of seconds > 0, got '", v, "'");
  return t;
}

}  // namespace

std::unique_ptr<Communicator> make_single_process_communicator() { return std::make_unique<SingleProcess>(); }

bool launched_by_mpi() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"})
    if (std::getenv(v) != nullptr) return true;
  return false;
}

std::unique_ptr<Communicator> open_world_communicator(const std::string& mode, double timeout_seconds,
                                                      const std::string& plugin) {
  require(mode == "auto" || mode == "off" || mode == "mpi",
          "distributed mode must be auto, off or mpi, got '", mode, "'");
  if (mode == "off" || (mode == "auto" && !launched_by_mpi())) return make_single_process_communicator();
  require(launched_by_mpi(), "could not start distributed training because this process was not started by an MPI "
          "launcher: run it as `mpirun -np N ...` (Open MPI), or use distributed mode auto or off");
  const std::string path = plugin.empty() ? plugin_path() : plugin;
  // RTLD_GLOBAL: Open MPI's own components (dlopened by MPI_Init) resolve libmpi's symbols globally.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    fail("could not start distributed training because the MPI plugin ", path, " could not be loaded (",
         why ? why : "unknown error", "); install Open MPI (Debian: apt-get install openmpi-bin libopenmpi3)");
  }
  auto create = reinterpret_cast<CreateFn>(dlsym(handle, "layerprune_mpi_communicator_create"));
  require(create != nullptr, "could not start distributed training because ", path,
          " has no layerprune_mpi_communicator_create (a plugin of another version?)");
  char error[512] = {0};
  Communicator* c = create(timeout_seconds > 0 ? timeout_seconds : default_timeout(), error, sizeof error);
  require(c != nullptr, "could not start distributed training: ", error);
  return std::unique_ptr<Communicator>(c);  // the plugin stays loaded: MPI is finalised at exit
}

}  // namespace layerprune
