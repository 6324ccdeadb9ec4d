package io.layerprune.internal;

import java.util.Objects;

/**
 * Base of the Java objects that own a native object. {@link #close()} frees it exactly once;
 * later calls are no-ops. Every other method checks {@link #ensureOpen()} first and throws
 * {@link IllegalStateException} ("model is closed") once closed.
 *
 * <p>The native pointer a subclass hands to the constructor is reachable from the library's other
 * packages through {@link #pointer(Object, Class)} (this package is internal: not exported by
 * the module, not API), so that e.g. a trainer can pass its model to the native core without
 * the model making its handle public.
 *
 * <p>Not thread-safe, like the objects built on it: use each from one thread at a time.
 */
public abstract class NativeHandle implements AutoCloseable {
    private final String kind;
    private final Object pointer;
    private boolean closed;

    /** A handle whose native object is created later or kept by the subclass itself. */
    protected NativeHandle(String kind) {
        this(kind, null);
    }

    /** A handle of {@code pointer}. */
    protected NativeHandle(String kind, Object pointer) {
        this.kind = kind;
        this.pointer = pointer;
    }

    /** Whether {@link #close()} was called. */
    public final boolean isClosed() {
        return closed;
    }

    /** Throws {@link IllegalStateException} ("model is closed") once closed. */
    protected final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(kind + " is closed");
        }
    }

    /** {@link #ensureOpen()} of any handle, for the library's other packages. */
    public static void requireOpen(NativeHandle handle) {
        Objects.requireNonNull(handle, "handle").ensureOpen();
    }

    /**
     * The native pointer of {@code owner} (a NativeHandle created with one) as {@code type}.
     *
     * @throws IllegalStateException if the owner is closed
     */
    public static <T> T pointer(Object owner, Class<T> type) {
        NativeHandle h = (NativeHandle) Objects.requireNonNull(owner, "owner");
        h.ensureOpen();
        if (h.pointer == null) {
            throw new IllegalStateException(h.kind + " has no native object");
        }
        return type.cast(h.pointer);
    }

    /** Frees the native object. Idempotent. */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        free();
    }

    /** Frees the native object; called once. */
    protected abstract void free();
}
