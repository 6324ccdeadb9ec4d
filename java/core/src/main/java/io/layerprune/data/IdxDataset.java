package io.layerprune.data;

import io.layerprune.DataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads an MNIST-format data set (MNIST, Fashion-MNIST, ...) from a folder holding
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
 * and {@code t10k-labels-idx1-ubyte}, each optionally with {@code .gz} (compression is detected
 * from the content).
 *
 * <p>Normalisation (ALGORITHM.md section 7): pixels are divided by 255 and standardised with the
 * global mean and standard deviation of the training images that are used (the first
 * {@code trainLimit} if limited, without those held out for validation); the validation and test
 * images use the same training statistics. Each data set records it as its
 * {@link Dataset#normalizer()} on the raw scale, one pair for every pixel: raw features are the
 * pixel values 0..255 as floats, {@code mean = 255 * mean()}, {@code std = 255 * std()}.
 */
public final class IdxDataset {
    /** Where the Fashion-MNIST files are installed on the project's machines. */
    public static final Path DEFAULT_FOLDER = Path.of("/usr/share/datasets/fashion-mnist");

    private IdxDataset() {}

    /**
     * The data sets of one folder; closing it closes them all.
     *
     * @param train the training images used (without the validation images)
     * @param test the test images
     * @param mean mean of pixel / 255 over {@code train}
     * @param std standard deviation of pixel / 255 over {@code train}
     * @param validation the images held out of the training images for validation, or null when none
     *     were asked for
     * @param normalizer raw pixel values (0..255) to the standardised features of all three sets
     */
    public record Splits(Dataset train, Dataset test, double mean, double std, Dataset validation,
            Normalizer normalizer) implements AutoCloseable {
        /** Whether images were held out for validation. */
        public boolean hasValidation() {
            return validation != null;
        }

        @Override
        public void close() {
            try {
                train.close();
            } finally {
                try {
                    test.close();
                } finally {
                    if (validation != null) {
                        validation.close();
                    }
                }
            }
        }
    }

    /** Loads both splits completely with 10 classes, no validation set. */
    public static Splits load(Path folder) {
        return load(folder, 0, 0, 10);
    }

    /** {@link #load(Path, int, int, int, double, long)} without a validation set. */
    public static Splits load(Path folder, int trainLimit, int testLimit, int classes) {
        return load(folder, trainLimit, testLimit, classes, 0, 0);
    }

    /**
     * Loads the training, validation and test sets.
     *
     * @param trainLimit use only the first {@code trainLimit} training images (0 = all)
     * @param testLimit use only the first {@code testLimit} test images (0 = all)
     * @param classes labels must lie in {@code [0, classes)}
     * @param validationFraction share of the training images used that is held out as the validation
     *     set, in [0, 1) (0: none), drawn as {@link Dataset#split} draws it
     * @param seed seed of that draw
     */
    public static Splits load(Path folder, int trainLimit, int testLimit, int classes, double validationFraction,
            long seed) {
        if (trainLimit < 0) {
            throw new IllegalArgumentException("trainLimit must be >= 0 (0 = all), got " + trainLimit);
        }
        if (testLimit < 0) {
            throw new IllegalArgumentException("testLimit must be >= 0 (0 = all), got " + testLimit);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
        }
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        if (!Files.isDirectory(folder)) {
            throw new DataException(folder + ": no such directory (expected MNIST-format IDX files in it)");
        }
        String name = folder.toAbsolutePath().normalize().getFileName() == null ? "dataset"
                : folder.toAbsolutePath().normalize().getFileName().toString();

        Raw train = read(folder, "train", trainLimit, classes);
        Raw test = read(folder, "t10k", testLimit, classes);
        if (train.dim() != test.dim()) {
            throw new DataException(folder + ": training images are " + train.images.rows() + "x" + train.images.cols()
                    + " but test images are " + test.images.rows() + "x" + test.images.cols());
        }
        if (train.count == 0) {
            throw new DataException(folder + ": the training set is empty");
        }
        Raw validation = null;
        if (validationFraction > 0) {
            if (train.count < 2) {
                throw new IllegalArgumentException("validationFraction needs >= 2 training images, got " + train.count);
            }
            long[][] rows = Dataset.splitRows(train.count, validationFraction, seed);
            validation = train.rows(rows[1]);
            train = train.rows(rows[0]);
        }

        // Global mean and std of pixel/255 over the training images used, exact via a histogram.
        long[] hist = new long[256];
        byte[] px = train.images.pixels();
        long total = (long) train.count * train.dim();
        for (int i = 0; i < total; i++) {
            hist[px[i] & 0xff]++;
        }
        double sum = 0;
        for (int v = 0; v < 256; v++) {
            sum += hist[v] * (v / 255.0);
        }
        double mean = sum / total;
        double ss = 0;
        for (int v = 0; v < 256; v++) {
            double d = v / 255.0 - mean;
            ss += hist[v] * d * d;
        }
        double std = Math.sqrt(ss / total);
        if (!(std > 1e-12)) {
            std = 1.0; // constant images: centre only
        }
        float[] table = new float[256];
        for (int v = 0; v < 256; v++) {
            table[v] = (float) ((v / 255.0 - mean) / std);
        }
        Normalizer normalizer = Normalizer.of(new double[] {255 * mean}, new double[] {255 * std});

        List<Dataset> made = new ArrayList<>();
        try {
            Dataset trainSet = add(made, Dataset.fromBytes(name + "/train", train.images.pixels(), train.count,
                    train.dim(), train.labels, classes, table, normalizer));
            Dataset testSet = add(made, Dataset.fromBytes(name + "/test", test.images.pixels(), test.count,
                    test.dim(), test.labels, classes, table, normalizer));
            Dataset validationSet = validation == null ? null
                    : add(made, Dataset.fromBytes(name + "/validation", validation.images.pixels(), validation.count,
                            validation.dim(), validation.labels, classes, table, normalizer));
            return new Splits(trainSet, testSet, mean, std, validationSet, normalizer);
        } catch (RuntimeException e) {
            made.forEach(Dataset::close);
            throw e;
        }
    }

    private static Dataset add(List<Dataset> made, Dataset d) {
        made.add(d);
        return d;
    }

    private record Raw(IdxReader.Images images, byte[] labels, int count) {
        int dim() {
            return images.pixelsPerImage();
        }

        /** The given images (of the first {@code count}), in that order. */
        Raw rows(long[] rows) {
            int d = dim();
            byte[] px = new byte[rows.length * d];
            byte[] l = new byte[rows.length];
            for (int k = 0; k < rows.length; k++) {
                int r = (int) rows[k];
                System.arraycopy(images.pixels(), r * d, px, k * d, d);
                l[k] = labels[r];
            }
            return new Raw(new IdxReader.Images(rows.length, images.rows(), images.cols(), px), l, rows.length);
        }
    }

    private static Raw read(Path folder, String prefix, int limit, int classes) {
        Path imagesFile = find(folder, prefix + "-images-idx3-ubyte");
        Path labelsFile = find(folder, prefix + "-labels-idx1-ubyte");
        IdxReader.Images images = IdxReader.readImages(imagesFile);
        byte[] labels = IdxReader.readLabels(labelsFile);
        if (images.count() != labels.length) {
            throw new DataException(imagesFile + " holds " + images.count() + " images but " + labelsFile + " holds "
                    + labels.length + " labels");
        }
        for (int i = 0; i < labels.length; i++) {
            int label = labels[i] & 0xff;
            if (label >= classes) {
                throw new DataException(labelsFile + ": label " + label + " at index " + i + " is outside [0, "
                        + classes + ") for " + classes + " classes");
            }
        }
        int count = images.count();
        if (limit > 0) {
            if (limit > count) {
                throw new IllegalArgumentException(
                        (prefix.equals("train") ? "trainLimit" : "testLimit") + " must be <= " + count + " (images in " + imagesFile + "), got " + limit);
            }
            count = limit;
        }
        return new Raw(images, labels, count);
    }

    /** The plain file if it exists, else the .gz one; a DataException naming both if neither does. */
    static Path find(Path folder, String base) {
        Path plain = folder.resolve(base);
        if (Files.isRegularFile(plain)) {
            return plain;
        }
        Path gz = folder.resolve(base + ".gz");
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new DataException("missing file: neither " + plain + " nor " + gz + " exists");
    }
}
