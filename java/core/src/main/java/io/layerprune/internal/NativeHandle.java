package io.layerprune.internal;

/**
 * Base of the Java objects that own a native object. {@link #close()} frees it exactly once;
 * later calls are no-ops. Every other method checks {@link #ensureOpen()} first and throws
 * {@link IllegalStateException} ("model is closed") once closed.
 *
 * <p>Not thread-safe, like the objects built on it: use each from one thread at a time.
 */
public abstract class NativeHandle implements AutoCloseable {
    private final String kind;
    private boolean closed;

    protected NativeHandle(String kind) {
        this.kind = kind;
    }

    /** Whether {@link #close()} was called. */
    public final boolean isClosed() {
        return closed;
    }

    public final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(kind + " is closed");
        }
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
