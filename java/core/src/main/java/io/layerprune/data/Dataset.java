package io.layerprune.data;

import io.layerprune.DataException;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import java.nio.FloatBuffer;
import java.util.Objects;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * A labelled data set held by the native core: {@link #size()} samples of {@link #dim()} float
 * features (already normalised) and labels in {@code [0, classes)}. Build one with
 * {@link #of(String, float[], int[], int, int)} or read MNIST-format files with
 * {@link IdxDataset}.
 *
 * <p>Owns native memory: close it when done. Not thread-safe.
 */
public final class Dataset extends NativeHandle {
    private final LayerpruneNative.Dataset handle;
    private final String name;
    private final long size;
    private final int dim;
    private final int classes;

    private Dataset(LayerpruneNative.Dataset handle, String name, long size, int dim, int classes) {
        super("dataset " + name, handle);
        this.handle = handle;
        this.name = name;
        this.size = size;
        this.dim = dim;
        this.classes = classes;
    }

    /**
     * Copies {@code labels.length} samples into native memory.
     *
     * @param features {@code labels.length * dim} floats, sample after sample
     * @param labels one label in {@code [0, classes)} per sample
     */
    public static Dataset of(String name, float[] features, int[] labels, int dim, int classes) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        validateShape(dim, classes);
        long count = labels.length;
        if ((long) features.length != count * dim) {
            throw new IllegalArgumentException("features must hold labels.length * dim = " + labels.length + " * "
                    + dim + " = " + count * dim + " floats, got " + features.length);
        }
        for (int i = 0; i < labels.length; i++) {
            checkLabel(labels[i], i, classes, name);
        }
        try (FloatPointer f = new FloatPointer(features); IntPointer l = new IntPointer(labels)) {
            return create(name, f, l, count, dim, classes);
        }
    }

    /**
     * Builds a data set from unsigned-byte pixels mapped through a 256-entry table (normalisation),
     * writing the floats straight into off-heap memory in chunks (no float[] of the whole set).
     */
    static Dataset fromBytes(String name, byte[] pixels, int count, int dim, byte[] labels, int classes,
            float[] table) {
        validateShape(dim, classes);
        if (table.length != 256) {
            throw new IllegalArgumentException("table must have 256 entries, got " + table.length);
        }
        long total = (long) count * dim;
        if (pixels.length < total || labels.length < count) {
            throw new IllegalArgumentException("need " + total + " pixels and " + count + " labels, got "
                    + pixels.length + " and " + labels.length);
        }
        int[] ints = new int[count];
        for (int i = 0; i < count; i++) {
            ints[i] = labels[i] & 0xff;
            checkLabel(ints[i], i, classes, name);
        }
        try (FloatPointer f = new FloatPointer(Math.max(1, total)); IntPointer l = new IntPointer(ints)) {
            FloatBuffer out = f.asBuffer();
            float[] chunk = new float[1 << 16];
            long done = 0;
            while (done < total) {
                int n = (int) Math.min(chunk.length, total - done);
                for (int i = 0; i < n; i++) {
                    chunk[i] = table[pixels[(int) (done + i)] & 0xff];
                }
                out.put(chunk, 0, n);
                done += n;
            }
            return create(name, f, l, count, dim, classes);
        }
    }

    private static Dataset create(String name, FloatPointer features, IntPointer labels, long count, int dim,
            int classes) {
        LayerpruneNative.Dataset h =
                Native.call(() -> LayerpruneNative.dataset_create(features, labels, count, dim, classes));
        if (h == null || h.isNull()) {
            throw new LayerpruneException("dataset_create returned no data set");
        }
        return new Dataset(h, name, count, dim, classes);
    }

    private static void validateShape(int dim, int classes) {
        if (dim <= 0) {
            throw new IllegalArgumentException("dim must be > 0, got " + dim);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
    }

    private static void checkLabel(int label, int index, int classes, String name) {
        if (label < 0 || label >= classes) {
            throw new DataException(name + ": label " + label + " at index " + index + " is outside [0, " + classes
                    + ") for " + classes + " classes");
        }
    }

    /** Number of samples. */
    public long size() {
        ensureOpen();
        return size;
    }

    /** Features per sample. */
    public int dim() {
        ensureOpen();
        return dim;
    }

    /** Number of classes the labels are drawn from. */
    public int classes() {
        ensureOpen();
        return classes;
    }

    /** A name for messages and reports, e.g. "fashion-mnist/train". */
    public String name() {
        return name;
    }

    @Override
    protected void free() {
        LayerpruneNative.dataset_destroy(handle);
        handle.setNull();
    }

    @Override
    public String toString() {
        return "Dataset[" + name + ", " + size + " x " + dim + ", " + classes + " classes" + (isClosed() ? ", closed]" : "]");
    }
}
