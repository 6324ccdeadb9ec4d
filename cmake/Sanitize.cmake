# LAYERPRUNE_SANITIZE=ON: AddressSanitizer (with LeakSanitizer) and UndefinedBehaviorSanitizer for
# liblayerprune, the GoogleTest suite and anything else built here. UBSan aborts on the first
# finding (-fno-sanitize-recover=all), so a ctest run fails instead of printing and going on.
# libdnnl.so.3 and libgomp.so.1 come prebuilt from the oneDNN jar and stay uninstrumented: ASan
# still sees their heap (malloc is intercepted process-wide) but not their stack or globals.
# bin/test builds this into target/native-asan (benchmarks off) and runs its ctest.
option(LAYERPRUNE_SANITIZE "Build with -fsanitize=address,undefined (tests and library)" OFF)
if(LAYERPRUNE_SANITIZE)
  set(LAYERPRUNE_SANITIZE_FLAGS
    -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_compile_options(${LAYERPRUNE_SANITIZE_FLAGS})
  add_link_options(-fsanitize=address,undefined)
  message(STATUS "layerprune: sanitizers on (${LAYERPRUNE_SANITIZE_FLAGS})")
endif()
