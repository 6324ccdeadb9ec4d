/*
 * Test-only JNI helpers for NativeMemoryTest (io.layerprune.hardening.NativeHeap); never linked
 * into liblayerprune or shipped. inUseBytes: the bytes malloc has handed out and not had back,
 * over all arenas (glibc mallinfo2: uordblks, small chunks, plus hblkhd, mmapped ones), which
 * resolves a leak of a few hundred bytes per cycle where the resident set cannot. leak: mallocs
 * and touches `bytes` bytes and never frees them, the planted leak that shows the measurement
 * sees 1 KB per cycle. trim: malloc_trim(0), the free memory of every arena back to the system, so that
 * VmRSS afterwards counts memory in use rather than what malloc keeps cached.
 */
#include <jni.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

JNIEXPORT jlong JNICALL Java_io_layerprune_hardening_NativeHeap_inUseBytes(JNIEnv* env, jclass cls) {
  (void)env, (void)cls;
  const struct mallinfo2 m = mallinfo2();
  return (jlong)(m.uordblks + m.hblkhd);
}

JNIEXPORT void JNICALL Java_io_layerprune_hardening_NativeHeap_trim(JNIEnv* env, jclass cls) {
  (void)env, (void)cls;
  malloc_trim(0);
}

static void* volatile leaked;

JNIEXPORT void JNICALL Java_io_layerprune_hardening_NativeHeap_leak(JNIEnv* env, jclass cls, jlong bytes) {
  (void)env, (void)cls;
  if (bytes <= 0) return;
  void* p = malloc((size_t)bytes);
  if (!p) return;
  memset(p, 0x5a, (size_t)bytes);
  // Reachable from a global (a list through the blocks' first word), so the compiler cannot drop the
  // malloc as unused, as it may for a block nobody reads.
  if ((size_t)bytes >= sizeof(void*)) {
    *(void**)p = leaked;
    leaked = p;
  }
}
