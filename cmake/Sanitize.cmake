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

# LAYERPRUNE_TSAN=ON: ThreadSanitizer for liblayerprune and the tests built here. bin/test builds
# only the concurrency tests this way (target/native-tsan) and runs them with one native thread:
# libgomp and libdnnl are not instrumented, so TSan cannot see their synchronisation and would
# report their worker threads; with one thread the C API's own locking is what it checks.
option(LAYERPRUNE_TSAN "Build with -fsanitize=thread (tests and library)" OFF)
if(LAYERPRUNE_TSAN)
  if(LAYERPRUNE_SANITIZE)
    message(FATAL_ERROR "LAYERPRUNE_TSAN and LAYERPRUNE_SANITIZE cannot be combined")
  endif()
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=thread)
  message(STATUS "layerprune: ThreadSanitizer on")
endif()
