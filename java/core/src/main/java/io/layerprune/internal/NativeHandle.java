package io.layerprune.internal;

import java.lang.ref.Cleaner;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of the Java objects that own a native object: the thread-safety contract and the safety net
 * for a forgotten {@link #close()}.
 *
 * <p><b>Threads.</b> Every native call of a handle goes through {@link #call} (or its primitive
 * variants), which holds the handle's read lock for the call: any number of threads may call at
 * once, and the native side serialises what must be serialised (the C API holds a mutex per model
 * and per exported model, so concurrent {@code predict} calls give exactly the single-threaded
 * results). {@link #close()} takes the write lock: it waits for the calls in flight, then frees the
 * native object; a call that starts afterwards throws {@link IllegalStateException} ("model is
 * closed"). Memory in use is never freed. Closing a handle from inside one of its own calls (a
 * listener of a running {@code fit} closing the model, say) cannot wait for itself and throws
 * {@link IllegalStateException} instead.
 *
 * <p><b>Forgotten close().</b> The native object is owned by a {@link Cleaner} action that does not
 * reference the Java object: when a handle becomes unreachable without {@code close()}, the action
 * frees the native side and logs (once per kind of handle) that it was not closed. Closing
 * explicitly stays the way to free memory at a known time; the collector only guarantees that
 * forgotten handles do not accumulate.
 *
 * <p>The native pointer is reachable from the library's other packages through
 * {@link #pointer(Object, Class)} (this package is internal: not exported by the module, not API).
 */
public abstract class NativeHandle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NativeHandle.class);
    private static final Cleaner CLEANER = Cleaner.create();
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();
    /**
     * Native bytes of handles not yet freed, and the level at which the next collection is asked
     * for. The collector does not see native memory: without this, a program that forgets close()
     * on many handles whose Java objects are tiny never collects them (issue 14: 1,000 unclosed
     * models reached 24 GB). Like JavaCPP's Pointer.maxBytes, each time the outstanding native
     * bytes grow by {@link #GC_STEP_BYTES} beyond what they were at the last request, a collection
     * is requested ({@code System.gc()}; -XX:+DisableExplicitGC turns this off).
     */
    private static final AtomicLong OUTSTANDING = new AtomicLong();
    private static final AtomicLong NEXT_GC_AT = new AtomicLong();
    static final long GC_STEP_BYTES = Long.getLong("layerprune.gcStepBytes", 256L << 20);

    private final String kind;
    private final Object pointer;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private Resource resource;
    private Cleaner.Cleanable cleanable;

    /**
     * The native object and how to free it, without a reference to the Java handle (a Cleaner
     * action that referenced it would keep it reachable forever).
     */
    private static final class Resource implements Runnable {
        private final String kind;
        private final Pointer pointer;
        private final Consumer<Pointer> destroy;
        private final long bytes;
        private boolean explicit;  // freed by close(), not by the collector

        Resource(String kind, Pointer pointer, Consumer<Pointer> destroy, long bytes) {
            this.kind = kind;
            this.pointer = pointer;
            this.destroy = destroy;
            this.bytes = bytes;
        }

        @Override
        public synchronized void run() {
            if (pointer.isNull()) {
                return;
            }
            if (!explicit && WARNED.add(kind)) {
                LOG.warn("a {} was not closed; its native memory was freed when it became unreachable "
                        + "(close every layerprune handle, e.g. with try-with-resources; logged once per kind)", kind);
            }
            try {
                destroy.accept(pointer);
            } finally {
                pointer.setNull();
                OUTSTANDING.addAndGet(-bytes);
            }
        }
    }

    /** Counts {@code bytes} as outstanding; asks for a collection when they passed the next step. */
    private static void account(long bytes) {
        long now = OUTSTANDING.addAndGet(bytes);
        long next = NEXT_GC_AT.get();
        if (now >= next + GC_STEP_BYTES && NEXT_GC_AT.compareAndSet(next, now)) {
            System.gc();  // unreachable handles' Cleaner actions then free their native memory
            // Give the Cleaner thread a moment to free them (up to 50 ms, only on this rare path),
            // so that forgotten handles do not pile up beyond one step while it catches up.
            for (int i = 0; i < 10 && OUTSTANDING.get() > now - GC_STEP_BYTES / 2; i++) {
                try {
                    Thread.sleep(5);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            NEXT_GC_AT.set(Math.min(NEXT_GC_AT.get(), OUTSTANDING.get()));
        } else if (now < next) {
            NEXT_GC_AT.accumulateAndGet(now, Math::min);  // freed since: measure the next step from here
        }
    }

    /** Native bytes held by handles that are neither closed nor collected yet (all kinds). */
    public static long outstandingNativeBytes() {
        return OUTSTANDING.get();
    }

    /** A handle whose native object is created later ({@link #adopt}) or kept by the subclass itself. */
    protected NativeHandle(String kind) {
        this(kind, null);
    }

    /** A handle of {@code pointer}; the subclass gives it to {@link #adopt} to have it freed. */
    protected NativeHandle(String kind, Object pointer) {
        this.kind = kind;
        this.pointer = pointer;
    }

    /**
     * Makes {@code native} owned by this handle: {@link #close()} frees it with {@code destroy}, or,
     * if the handle is never closed, the collector does once the handle is unreachable. At most one
     * native object per handle; {@code destroy} must not capture the handle. {@code bytes} (the
     * native memory it holds, roughly; 0 if unknown) paces the collections of forgotten handles.
     */
    @SuppressWarnings("unchecked")
    protected final <P extends Pointer> void adopt(P nativeObject, Consumer<? super P> destroy, long bytes) {
        Objects.requireNonNull(nativeObject, "native object");
        Objects.requireNonNull(destroy, "destroy");
        if (resource != null) {
            throw new IllegalStateException(kind + " already owns a native object");
        }
        long counted = Math.max(0, bytes);
        resource = new Resource(kind, nativeObject, p -> destroy.accept((P) p), counted);
        cleanable = CLEANER.register(this, resource);
        account(counted);
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
     * The native pointer of {@code owner} (a NativeHandle created with one) as {@code type}. Pass
     * it to the native side only inside a {@link #callWith} that names {@code owner}, so that
     * closing the owner waits for the call.
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

    /** A native call of this handle: under its read lock, after {@link #ensureOpen()}. */
    protected final <T> T call(Supplier<T> f) {
        return callWith(f, this);
    }

    protected final long callLong(LongSupplier f) {
        return call(f::getAsLong);
    }

    protected final int callInt(IntSupplier f) {
        return call(f::getAsInt);
    }

    protected final double callDouble(DoubleSupplier f) {
        return call(f::getAsDouble);
    }

    protected final void run(Runnable f) {
        call(() -> {
            f.run();
            return null;
        });
    }

    /**
     * A native call that uses several handles (a trainer step uses the trainer, its model and the
     * data set): holds each one's read lock, in the order given, and checks that each is open.
     * Nulls are skipped.
     */
    public static <T> T callWith(Supplier<T> f, NativeHandle... handles) {
        int locked = 0;  // handles[0 .. locked) are locked (nulls skipped)
        try {
            for (; locked < handles.length; locked++) {
                NativeHandle h = handles[locked];
                if (h != null) {
                    h.lock.readLock().lock();
                    if (h.closed) {
                        locked++;  // unlock it too
                        h.ensureOpen();
                    }
                }
            }
            return Native.call(f);
        } finally {
            for (int i = locked - 1; i >= 0; i--) {
                if (handles[i] != null) {
                    handles[i].lock.readLock().unlock();
                }
            }
        }
    }

    /** {@link #callWith(Supplier, NativeHandle...)} without a result. */
    public static void runWith(Runnable f, NativeHandle... handles) {
        callWith(() -> {
            f.run();
            return null;
        }, handles);
    }

    /**
     * Frees the native object, after waiting for the native calls in flight on other threads.
     * Idempotent.
     *
     * @throws IllegalStateException when called from inside a call of this handle on the same
     *     thread (it would wait for itself)
     */
    @Override
    public final void close() {
        if (closed) {
            return;
        }
        if (lock.getReadHoldCount() > 0) {
            throw new IllegalStateException("cannot close the " + kind + " from inside one of its own calls");
        }
        beforeClose();
        lock.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            try {
                free();
            } finally {
                if (resource != null) {
                    synchronized (resource) {
                        resource.explicit = true;
                    }
                    cleanable.clean();
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Runs before the write lock is taken, e.g. to close dependent handles whose calls hold this
     * handle's read lock (a model closes its trainers here). Nothing by default.
     */
    protected void beforeClose() {}

    /**
     * Releases what the handle holds besides its adopted native object (that one is freed right
     * after). Called once, under the write lock. Nothing by default.
     */
    protected void free() {}
}
