# Cross toolchain for linux-arm64 (AArch64) on an x86-64 Debian 12 host:
#   cmake -S . -B target/native-linux-arm64 -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake \
#         -DDNNL_ROOT=target/dnnl/org/bytedeco/dnnl/linux-arm64
# (mvn -Djavacpp.platform=linux-arm64 does this for you). bin/arm64-sysroot installs the compiler
# (Debian's g++-aarch64-linux-gnu: its libc, libstdc++ and libgcc live in /usr/aarch64-linux-gnu, where the
# compiler finds them by itself) and qemu-user, and assembles the sysroot below from Debian's arm64 .debs
# (GoogleTest, nlohmann-json's CMake config, the arm64 JVM and the run-time libraries qemu loads).
# Test binaries run under qemu-aarch64 -L <sysroot> (CMAKE_CROSSCOMPILING_EMULATOR: ctest and
# gtest_discover_tests use it).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The sysroot of bin/arm64-sysroot: LAYERPRUNE_ARM64_SYSROOT (cache or environment) or its default.
if(NOT LAYERPRUNE_ARM64_SYSROOT)
  if(DEFINED ENV{LAYERPRUNE_ARM64_SYSROOT})
    set(LAYERPRUNE_ARM64_SYSROOT "$ENV{LAYERPRUNE_ARM64_SYSROOT}")
  else()
    set(LAYERPRUNE_ARM64_SYSROOT "$ENV{HOME}/.cache/layerprune/arm64-sysroot")
  endif()
endif()
set(LAYERPRUNE_ARM64_SYSROOT "${LAYERPRUNE_ARM64_SYSROOT}" CACHE PATH "arm64 sysroot of bin/arm64-sysroot")
# try_compile projects read this file again: hand them the same sysroot.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LAYERPRUNE_ARM64_SYSROOT)

# Not CMAKE_SYSROOT: the compiler keeps its own libc (/usr/aarch64-linux-gnu); the sysroot is only where
# find_package/find_library look for the arm64 packages (GTest, nlohmann_json).
set(CMAKE_FIND_ROOT_PATH "${LAYERPRUNE_ARM64_SYSROOT}" /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# The emulated processor: qemu's "max" (every feature qemu 7.2 has, SVE included) with 256-bit SVE vectors,
# as on AWS Graviton3 (Neoverse V1); oneDNN then runs its SVE-256 kernels. qemu's default for "max" is
# 512-bit SVE, which no server we target has, and under which oneDNN 3.11's
# linear_backward_data of a 1x2 by 2x1 product comes out wrong (CpuBackendTest.LinearBackwardMatchesReference
# /(1, 2, 1); 128- and 256-bit SVE, no SVE (max,sve=off), neoverse-n1 and cortex-a76 all pass).
# LAYERPRUNE_ARM64_QEMU_CPU (cache or environment) picks another, e.g. neoverse-n1 (Graviton2, Ampere Altra).
if(NOT LAYERPRUNE_ARM64_QEMU_CPU)
  if(DEFINED ENV{LAYERPRUNE_ARM64_QEMU_CPU})
    set(LAYERPRUNE_ARM64_QEMU_CPU "$ENV{LAYERPRUNE_ARM64_QEMU_CPU}")
  else()
    set(LAYERPRUNE_ARM64_QEMU_CPU "max,sve-default-vector-length=32")
  endif()
endif()
set(LAYERPRUNE_ARM64_QEMU_CPU "${LAYERPRUNE_ARM64_QEMU_CPU}" CACHE STRING "qemu-aarch64 -cpu of the emulated tests")
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES LAYERPRUNE_ARM64_QEMU_CPU)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64;-cpu;${LAYERPRUNE_ARM64_QEMU_CPU};-L;${LAYERPRUNE_ARM64_SYSROOT})
