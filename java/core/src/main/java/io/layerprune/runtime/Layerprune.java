package io.layerprune.runtime;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;

/** Library-wide settings and information. */
public final class Layerprune {
    private static Integer requestedThreads;

    private Layerprune() {}

    /** Version string of the native core, e.g. "0.1.0". */
    public static String version() {
        return Native.call(LayerpruneNative::version);
    }

    /**
     * Sets the thread count of every native thread pool; {@code 0} means one thread per physical
     * core. Call it once, before building models and data sets (a later call takes effect for the
     * native calls that follow it; repeating the current count does nothing). Without a call the
     * core uses one thread per physical core.
     *
     * @throws IllegalArgumentException if {@code threads < 0}
     */
    public static synchronized void setThreads(int threads) {
        if (threads < 0) {
            throw new IllegalArgumentException("threads must be >= 0 (0 = physical cores), got " + threads);
        }
        if (requestedThreads != null && requestedThreads == threads) {
            return;
        }
        Native.run(() -> LayerpruneNative.set_num_threads(threads));
        requestedThreads = threads;
    }

    /** Threads the native core uses now. */
    public static int threads() {
        return Native.callInt(LayerpruneNative::num_threads);
    }

    /** Physical cores of this machine, as the native core counts them. */
    public static int physicalCores() {
        return Native.callInt(LayerpruneNative::physical_cores);
    }
}
