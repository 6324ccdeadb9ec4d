package io.layerprune.data;

import io.layerprune.DataException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads an MNIST-format data set (MNIST, Fashion-MNIST, ...) from a folder holding
 * {@code train-images-idx3-ubyte}, {@code train-labels-idx1-ubyte}, {@code t10k-images-idx3-ubyte}
 * and {@code t10k-labels-idx1-ubyte}, each optionally with {@code .gz} (compression is detected
 * from the content).
 *
 * <p>Normalisation (ALGORITHM.md section 7): pixels are divided by 255 and standardised with the
 * global mean and standard deviation of the training images that are used (the first
 * {@code trainLimit} if limited); the test images use the same training statistics.
 */
public final class IdxDataset {
    /** Where the Fashion-MNIST files are installed on the project's machines. */
    public static final Path DEFAULT_FOLDER = Path.of("/usr/share/datasets/fashion-mnist");

    private IdxDataset() {}

    /** The training and test split of one folder; closing it closes both data sets. */
    public record Splits(Dataset train, Dataset test, double mean, double std) implements AutoCloseable {
        @Override
        public void close() {
            try {
                train.close();
            } finally {
                test.close();
            }
        }
    }

    /** Loads both splits completely with 10 classes. */
    public static Splits load(Path folder) {
        return load(folder, 0, 0, 10);
    }

    /**
     * Loads both splits.
     *
     * @param trainLimit use only the first {@code trainLimit} training images (0 = all)
     * @param testLimit use only the first {@code testLimit} test images (0 = all)
     * @param classes labels must lie in {@code [0, classes)}
     */
    public static Splits load(Path folder, int trainLimit, int testLimit, int classes) {
        if (trainLimit < 0) {
            throw new IllegalArgumentException("trainLimit must be >= 0 (0 = all), got " + trainLimit);
        }
        if (testLimit < 0) {
            throw new IllegalArgumentException("testLimit must be >= 0 (0 = all), got " + testLimit);
        }
        if (classes < 2) {
            throw new IllegalArgumentException("classes must be >= 2, got " + classes);
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

        Dataset trainSet = Dataset.fromBytes(name + "/train", train.images.pixels(), train.count, train.dim(),
                train.labels, classes, table);
        try {
            Dataset testSet = Dataset.fromBytes(name + "/test", test.images.pixels(), test.count, test.dim(),
                    test.labels, classes, table);
            return new Splits(trainSet, testSet, mean, std);
        } catch (RuntimeException e) {
            trainSet.close();
            throw e;
        }
    }

    private record Raw(IdxReader.Images images, byte[] labels, int count) {
        int dim() {
            return images.pixelsPerImage();
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
