# The CUDA backend. Whenever nvcc is found the CUDA kernels, the `layerprune_cuda_tests`
# GoogleTest binary and the `layerprune_cuda_bench` benchmark are built, so GPU code
# compiles in CI even without a GPU (the tests then report skipped).
# LAYERPRUNE_WITH_CUDA=ON (mvn -Pgpu) also links the real backend into liblayerprune;
# OFF links backend/cuda_unavailable.cpp, whose make_cuda_backend() says to use the
# linux-x86_64-gpu jar. The sanitizer build skips CUDA: nvcc does not take the
# -fsanitize flags and the GPU is not where ASan looks. Cross builds (linux-arm64) skip it too: the host's
# nvcc makes x86-64 host code only (there is no linux-arm64-gpu jar).
# Kernels: sm_90 machine code (H100/H200) plus compute_90 PTX for newer GPUs; the CUDA
# runtime is linked statically, so only the driver (libcuda.so.1) is needed at run time.
option(LAYERPRUNE_WITH_CUDA "Link the CUDA backend into liblayerprune (the linux-x86_64-gpu jar)" OFF)
set(LAYERPRUNE_HAVE_CUDA OFF)
if(NOT LAYERPRUNE_SANITIZE AND NOT CMAKE_CROSSCOMPILING)
  include(CheckLanguage)
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
    set(CMAKE_CUDA_ARCHITECTURES "90-real;90-virtual")
  endif()
  set(CMAKE_CUDA_RUNTIME_LIBRARY Static)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    find_package(CUDAToolkit REQUIRED)
    set(LAYERPRUNE_HAVE_CUDA ON)
    message(STATUS "layerprune: CUDA backend built (${CMAKE_CUDA_COMPILER}, architectures ${CMAKE_CUDA_ARCHITECTURES}); "
                   "in liblayerprune: ${LAYERPRUNE_WITH_CUDA}")
  endif()
endif()
if(LAYERPRUNE_WITH_CUDA AND NOT LAYERPRUNE_HAVE_CUDA)
  message(FATAL_ERROR "could not build the CUDA backend because no CUDA compiler (nvcc) was found"
                      " (or LAYERPRUNE_SANITIZE is on); install the CUDA toolkit or drop -DLAYERPRUNE_WITH_CUDA=ON")
endif()
