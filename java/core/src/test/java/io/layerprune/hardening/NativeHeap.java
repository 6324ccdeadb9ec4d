package io.layerprune.hardening;

import io.layerprune.TestData;

/**
 * Test-only view of the malloc heap (native/tests/hooks/native_heap_jni.c, built into
 * target/native/test-hooks, never shipped): the bytes in use over all arenas, which is where the native
 * library's allocations (operator new, the backends' buffers) go; and a planted leak.
 */
final class NativeHeap {
    static {
        System.load(TestData.testHook("liblayerprune_native_heap.so").toString());
    }

    private NativeHeap() {}

    /** glibc mallinfo2(): uordblks + hblkhd, the bytes malloc has handed out and not had back. */
    static native long inUseBytes();

    /** malloc_trim(0): every arena's free memory back to the system (VmRSS then counts what is in use). */
    static native void trim();

    /** Mallocs and touches {@code bytes} bytes and never frees them (the planted leak). */
    static native void leak(long bytes);
}
