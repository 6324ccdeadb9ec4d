package io.layerprune.data;

import io.layerprune.DataException;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.SplittableRandom;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;

/**
 * A labelled data set held by the native core: {@link #size()} samples of {@link #dim()} float
 * features and labels in {@code [0, classes)}. Build one from arrays or a buffer with the
 * {@code of} methods, or read MNIST-format or CIFAR-10 files with {@link IdxDataset} and
 * {@link CifarDataset}.
 *
 * <p>The features are used as they are: {@code of} normalises nothing. A data set made with
 * {@link #normalized(Normalizer)} (or loaded by {@code IdxDataset}/{@code CifarDataset}, which
 * standardise images) knows its {@link #normalizer()}; a model trained on it takes that normalizer
 * on, so that its {@code predict} takes raw features. The usual path for tabular data:
 *
 * <pre>{@code
 * try (Dataset all = Dataset.of("tabular", rows, labels, 3);       // raw features
 *      Dataset.Split raw = all.split(0.2, 42);                      // 80 % train, 20 % validation
 *      Dataset.Split data = raw.standardized()) {                   // fitted on raw.train() only
 *     trainer.fit(data.train(), data.validation());
 * }
 * }</pre>
 *
 * <p>Owns native memory: close it when done (one never closed is freed once unreachable). Read-only
 * after creation: share it between threads, trainers and evaluations freely; {@link #close()} waits
 * for the calls that use it.
 */
public final class Dataset extends NativeHandle {
    private final LayerpruneNative.Dataset handle;
    private final String name;
    private final long size;
    private final int dim;
    private final int classes;
    private final Normalizer normalizer;  // what made these features from raw ones, or null

    private Dataset(LayerpruneNative.Dataset handle, String name, long size, int dim, int classes,
            Normalizer normalizer) {
        super("dataset " + name, handle);
        adopt(handle, LayerpruneNative::dataset_destroy, size * (dim + 1L) * Float.BYTES);
        this.handle = handle;
        this.name = name;
        this.size = size;
        this.dim = dim;
        this.classes = classes;
        this.normalizer = normalizer;
    }

    /**
     * A training and a validation set (see {@link Dataset#split}); closing it closes both.
     *
     * @param train the training part
     * @param validation the held-out part, for {@code Trainer.fit}'s per-epoch numbers
     */
    public record Split(Dataset train, Dataset validation) implements AutoCloseable {
        public Split {
            Objects.requireNonNull(train, "train");
            Objects.requireNonNull(validation, "validation");
        }

        /** New data sets, both normalised with {@code normalizer} (this split stays open; close both). */
        public Split normalized(Normalizer normalizer) {
            Dataset t = train.normalized(normalizer);
            try {
                return new Split(t, validation.normalized(normalizer));
            } catch (RuntimeException e) {
                t.close();
                throw e;
            }
        }

        /** {@link #normalized} with the per-feature statistics of the training part ({@link Normalizer#fit}). */
        public Split standardized() {
            return normalized(Normalizer.fit(train));
        }

        @Override
        public void close() {
            try {
                train.close();
            } finally {
                validation.close();
            }
        }
    }

    /**
     * Copies {@code features.length} samples (one array of features per sample, all of the same
     * length) into native memory, as they are.
     *
     * @param labels one label in {@code [0, classes)} per sample
     * @throws IllegalArgumentException for no samples, rows of different lengths, or labels and
     *     features of different counts
     */
    public static Dataset of(String name, float[][] features, int[] labels, int classes) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        if (features.length == 0) {
            throw new IllegalArgumentException("features must hold at least one sample, got none");
        }
        if (features.length != labels.length) {
            throw new IllegalArgumentException("features and labels must have one entry per sample, got "
                    + features.length + " and " + labels.length);
        }
        Objects.requireNonNull(features[0], "features[0]");
        int dim = features[0].length;
        if ((long) dim * features.length > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("features are too many for one array: " + features.length + " x " + dim);
        }
        float[] flat = new float[dim * features.length];
        for (int i = 0; i < features.length; i++) {
            float[] row = Objects.requireNonNull(features[i], "features[" + i + "]");
            if (row.length != dim) {
                throw new IllegalArgumentException("every sample must have " + dim + " features (as sample 0), sample "
                        + i + " has " + row.length);
            }
            System.arraycopy(row, 0, flat, i * dim, dim);
        }
        return of(name, flat, labels, dim, classes);
    }

    /**
     * Copies {@code labels.length} samples of {@code dim} features from {@code features} (its
     * remaining floats, from its position: exactly {@code labels.length * dim}) into native
     * memory, as they are. A direct buffer is read without an extra copy on the Java heap.
     */
    public static Dataset of(String name, FloatBuffer features, int[] labels, int dim, int classes) {
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(labels, "labels");
        validateShape(dim, classes);
        long count = labels.length;
        if (features.remaining() != count * dim) {
            throw new IllegalArgumentException("features must hold labels.length * dim = " + labels.length + " * "
                    + dim + " = " + count * dim + " floats (remaining), got " + features.remaining());
        }
        for (int i = 0; i < labels.length; i++) {
            checkLabel(labels[i], i, classes, name);
        }
        FloatBuffer view = features.slice();
        try (FloatPointer f = view.isDirect() ? new FloatPointer(view) : new FloatPointer(copy(view));
                IntPointer l = new IntPointer(labels)) {
            return create(name, f, l, count, dim, classes, null);
        }
    }

    private static float[] copy(FloatBuffer b) {
        float[] a = new float[b.remaining()];
        b.duplicate().get(a);
        return a;
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
            return create(name, f, l, count, dim, classes, null);
        }
    }

    /**
     * Builds a data set from unsigned-byte pixels mapped through a 256-entry table (normalisation),
     * writing the floats straight into off-heap memory in chunks (no float[] of the whole set).
     */
    static Dataset fromBytes(String name, byte[] pixels, int count, int dim, byte[] labels, int classes,
            float[] table, Normalizer normalizer) {
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
            return create(name, f, l, count, dim, classes, normalizer);
        }
    }

    /** A data set of float features already normalised by {@code normalizer} (the loaders'). */
    static Dataset ofNormalized(String name, float[] features, int[] labels, int dim, int classes,
            Normalizer normalizer) {
        validateShape(dim, classes);
        if ((long) features.length != (long) labels.length * dim) {
            throw new IllegalArgumentException("features must hold labels.length * dim floats, got " + features.length);
        }
        for (int i = 0; i < labels.length; i++) {
            checkLabel(labels[i], i, classes, name);
        }
        try (FloatPointer f = new FloatPointer(features); IntPointer l = new IntPointer(labels)) {
            return create(name, f, l, labels.length, dim, classes, normalizer);
        }
    }

    private static Dataset create(String name, FloatPointer features, IntPointer labels, long count, int dim,
            int classes, Normalizer normalizer) {
        LayerpruneNative.Dataset h =
                Native.call(() -> LayerpruneNative.dataset_create(features, labels, count, dim, classes));
        return wrap(h, name, count, dim, classes, normalizer);
    }

    private static Dataset wrap(LayerpruneNative.Dataset h, String name, long count, int dim, int classes,
            Normalizer normalizer) {
        if (h == null || h.isNull()) {
            throw new LayerpruneException("the native core returned no data set for " + name);
        }
        return new Dataset(h, name, count, dim, classes, normalizer);
    }

    /**
     * A new data set of these samples normalised with {@code normalizer}, which it records
     * ({@link #normalizer()}); this one is unchanged. The caller closes both.
     *
     * @throws IllegalArgumentException if this data set is normalised already or the normalizer does
     *     not fit {@link #dim()}
     */
    public Dataset normalized(Normalizer normalizer) {
        ensureOpen();
        Objects.requireNonNull(normalizer, "normalizer");
        if (this.normalizer != null) {
            throw new IllegalArgumentException("dataset " + name + " is already normalised (" + this.normalizer + ")");
        }
        if (!normalizer.fits(dim)) {
            throw new IllegalArgumentException("the normalizer's " + normalizer.groups() + " groups do not divide the "
                    + dim + " features per sample of " + name);
        }
        double[] mean = normalizer.mean();
        double[] std = normalizer.std();
        LayerpruneNative.Dataset h = call(() -> LayerpruneNative.dataset_normalized(handle, mean, std,
                mean.length));
        return wrap(h, name, size, dim, classes, normalizer);
    }

    /**
     * Splits the samples at random (seeded) into a training and a validation set, each a new data
     * set in the original order; {@code Trainer.fit} uses the validation set for its per-epoch
     * numbers, so that the test set is touched only at the end. Both keep this set's
     * {@link #normalizer()}. The caller closes the split (and this set, which stays usable).
     *
     * @param validationFraction share of the samples held out, in (0, 1); at least one sample goes to
     *     each side
     * @param seed seed of the draw (the same seed gives the same split)
     */
    public Split split(double validationFraction, long seed) {
        ensureOpen();
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in (0, 1), got " + validationFraction);
        }
        if (size < 2) {
            throw new IllegalArgumentException("dataset " + name + " has " + size + " sample; a split needs >= 2");
        }
        long[][] rows = splitRows(size, validationFraction, seed);
        Dataset train = subset(rows[0], name + "/train");
        try {
            return new Split(train, subset(rows[1], name + "/validation"));
        } catch (RuntimeException e) {
            train.close();
            throw e;
        }
    }

    /**
     * The rows of a seeded split of {@code size} samples: {@code [0]} training, {@code [1]} validation,
     * each ascending; {@code round(fraction * size)} held out, at least one and at most size - 1.
     */
    public static long[][] splitRows(long size, double validationFraction, long seed) {
        if (size > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("size too large to split: " + size);
        }
        int n = (int) size;
        int held = (int) Math.min(n - 1, Math.max(1, Math.round(validationFraction * n)));
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {  // Fisher-Yates
            int j = r.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        long[] validation = Arrays.stream(perm, 0, held).asLongStream().sorted().toArray();
        long[] train = Arrays.stream(perm, held, n).asLongStream().sorted().toArray();
        return new long[][] {train, validation};
    }

    /** A new data set of the given rows (each in [0, size)), in that order, named {@code name}. */
    Dataset subset(long[] rows, String name) {
        ensureOpen();
        LayerpruneNative.Dataset h = call(() -> LayerpruneNative.dataset_subset(handle, rows, rows.length));
        return wrap(h, name, rows.length, dim, classes, normalizer);
    }

    /**
     * The normalisation these features were made with (by {@link #normalized}, or by the loaders of
     * {@link IdxDataset} and {@link CifarDataset}); empty for features used as given.
     */
    public Optional<Normalizer> normalizer() {
        return Optional.ofNullable(normalizer);
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
    public String toString() {
        return "Dataset[" + name + ", " + size + " x " + dim + ", " + classes + " classes" + (isClosed() ? ", closed]" : "]");
    }
}
