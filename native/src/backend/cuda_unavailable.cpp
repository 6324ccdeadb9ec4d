// make_cuda_backend for builds without the CUDA backend (the default linux-x86_64 jar):
// asking for the GPU says which build has it instead of failing obscurely.
#include "backend/backend.h"
#include "core/error.h"

namespace layerprune {

std::unique_ptr<Backend> make_cuda_backend() {
  fail("could not use the CUDA device because this build of layerprune has no CUDA backend "
       "(use the linux-x86_64-gpu jar)");
}

}  // namespace layerprune
