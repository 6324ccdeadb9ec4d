package io.layerprune.data;

import io.layerprune.DataException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Loads CIFAR-10 (the binary version, {@code cifar-10-batches-bin}) from a folder holding
 * {@code data_batch_1.bin} .. {@code data_batch_5.bin} (training, read in that order) and
 * {@code test_batch.bin} (test). All six files are required: a missing one is a
 * {@link DataException} naming it, even when a limit means its records would not be used, so an
 * incomplete copy is never trained on by accident.
 *
 * <p>Samples are 3 x 32 x 32 images in NHWC order (the layout of {@code io.layerprune.model.zoo.ResNet}): for pixel
 * {@code (y, x)} the red, green and blue values are consecutive, at feature
 * {@code (y * 32 + x) * 3 + c}. The files store each image as three planes (CHW); they are
 * converted while loading.
 *
 * <p>Normalisation: per channel, pixel / 255 standardised with the mean and (population) standard
 * deviation of that channel over the training images that are used (the first {@code trainLimit}
 * if limited, without those held out for validation); the validation and test images use the same
 * training statistics. Each data set records it as its {@link Dataset#normalizer()} on the raw
 * scale, one pair per channel: raw features are the NHWC pixel values 0..255 as floats,
 * {@code mean[c] = 255 * mean()[c]}, {@code std[c] = 255 * std()[c]}.
 */
public final class CifarDataset {
    /** The data set's name in reports. */
    public static final String NAME = "cifar-10";
    /** The training files, in the order their records are used. */
    public static final List<String> TRAIN_FILES = List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
            "data_batch_4.bin", "data_batch_5.bin");
    /** The test file. */
    public static final String TEST_FILE = "test_batch.bin";

    private CifarDataset() {}

    /**
     * The data sets; closing it closes them all.
     *
     * @param mean per-channel mean (red, green, blue) of pixel / 255 over the training images used
     * @param std per-channel standard deviation of pixel / 255 over the training images used
     * @param validation the images held out of the training images for validation, or null when none
     *     were asked for
     * @param normalizer raw NHWC pixel values (0..255) to the standardised features of all three sets
     */
    public record Splits(Dataset train, Dataset test, double[] mean, double[] std, Dataset validation,
            Normalizer normalizer) implements AutoCloseable {
        public Splits {
            mean = mean.clone();
            std = std.clone();
        }

        /** Whether images were held out for validation. */
        public boolean hasValidation() {
            return validation != null;
        }

        @Override
        public double[] mean() {
            return mean.clone();
        }

        @Override
        public double[] std() {
            return std.clone();
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

    /** Whether {@code folder} looks like CIFAR-10's binary version: it holds {@code data_batch_1.bin}. */
    public static boolean isCifarFolder(Path folder) {
        return Files.isDirectory(folder) && Files.exists(folder.resolve(TRAIN_FILES.get(0)));
    }

    /** Loads both splits completely (50,000 training and 10,000 test images for the real files). */
    public static Splits load(Path folder) {
        return load(folder, 0, 0);
    }

    /** {@link #load(Path, int, int, double, long)} without a validation set. */
    public static Splits load(Path folder, int trainLimit, int testLimit) {
        return load(folder, trainLimit, testLimit, 0, 0);
    }

    /**
     * Loads the training, validation and test sets.
     *
     * @param trainLimit use only the first {@code trainLimit} training images (0 = all)
     * @param testLimit use only the first {@code testLimit} test images (0 = all)
     * @param validationFraction share of the training images used that is held out as the validation
     *     set, in [0, 1) (0: none), drawn as {@link Dataset#split} draws it
     * @param seed seed of that draw
     */
    public static Splits load(Path folder, int trainLimit, int testLimit, double validationFraction, long seed) {
        if (!(validationFraction >= 0 && validationFraction < 1)) {
            throw new IllegalArgumentException("validationFraction must be in [0, 1), got " + validationFraction);
        }
        Raw train = readTrain(folder, trainLimit);
        Raw test = readTest(folder, testLimit);
        Raw validation = null;
        if (validationFraction > 0) {
            if (train.count < 2) {
                throw new IllegalArgumentException("validationFraction needs >= 2 training images, got " + train.count);
            }
            long[][] rows = Dataset.splitRows(train.count, validationFraction, seed);
            validation = train.rows(rows[1]);
            train = train.rows(rows[0]);
        }
        Stats stats = stats(train);
        float[][] tables = tables(stats);
        double[] rawMean = new double[CifarReader.CHANNELS];
        double[] rawStd = new double[CifarReader.CHANNELS];
        for (int c = 0; c < rawMean.length; c++) {
            rawMean[c] = 255 * stats.mean[c];
            rawStd[c] = 255 * (stats.std[c] > 1e-12 ? stats.std[c] : 1.0);
        }
        Normalizer normalizer = Normalizer.of(rawMean, rawStd);

        Dataset trainSet = toDataset(NAME + "/train", train, tables, normalizer);
        train = null; // let the bytes go before the test set's floats are made
        Dataset testSet = null;
        try {
            testSet = toDataset(NAME + "/test", test, tables, normalizer);
            Dataset validationSet = validation == null ? null
                    : toDataset(NAME + "/validation", validation, tables, normalizer);
            return new Splits(trainSet, testSet, stats.mean, stats.std, validationSet, normalizer);
        } catch (RuntimeException | Error e) {
            trainSet.close();
            if (testSet != null) {
                testSet.close();
            }
            throw e;
        }
    }

    /** Records of one split: labels and CHW pixels, record after record. */
    record Raw(int count, byte[] labels, byte[] pixels) {
        /** The given records, in that order. */
        Raw rows(long[] rows) {
            int b = CifarReader.IMAGE_BYTES;
            byte[] l = new byte[rows.length];
            byte[] px = new byte[rows.length * b];
            for (int k = 0; k < rows.length; k++) {
                int r = (int) rows[k];
                l[k] = labels[r];
                System.arraycopy(pixels, r * b, px, k * b, b);
            }
            return new Raw(rows.length, l, px);
        }
    }

    /** Per-channel mean and standard deviation of pixel / 255. */
    record Stats(double[] mean, double[] std) {}

    /** Checks all six files (existence, size), then reads the first {@code limit} training records (0 = all). */
    static Raw readTrain(Path folder, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("trainLimit must be >= 0 (0 = all), got " + limit);
        }
        checkFolder(folder);
        long available = 0;
        int[] perFile = new int[TRAIN_FILES.size()];
        for (int i = 0; i < perFile.length; i++) {
            perFile[i] = CifarReader.records(folder.resolve(TRAIN_FILES.get(i)));
            available += perFile[i];
        }
        CifarReader.records(folder.resolve(TEST_FILE)); // fail fast on a bad test file, before the big read
        if (limit > available) {
            throw new IllegalArgumentException("trainLimit must be <= " + available + " (records in "
                    + folder.resolve("data_batch_{1..5}.bin") + "), got " + limit);
        }
        long wanted = limit > 0 ? limit : available;
        if (wanted > (Integer.MAX_VALUE - 16) / CifarReader.IMAGE_BYTES) {
            throw new DataException(folder + ": " + wanted + " training records are too many to load");
        }
        int count = (int) wanted;
        byte[] labels = new byte[count];
        byte[] pixels = new byte[count * CifarReader.IMAGE_BYTES];
        int done = 0;
        for (int i = 0; i < perFile.length && done < count; i++) {
            CifarReader.Batch b = CifarReader.read(folder.resolve(TRAIN_FILES.get(i)), count - done);
            System.arraycopy(b.labels(), 0, labels, done, b.count());
            System.arraycopy(b.pixels(), 0, pixels, done * CifarReader.IMAGE_BYTES, b.count() * CifarReader.IMAGE_BYTES);
            done += b.count();
        }
        return new Raw(count, labels, pixels);
    }

    /** Reads the first {@code limit} test records (0 = all). */
    static Raw readTest(Path folder, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("testLimit must be >= 0 (0 = all), got " + limit);
        }
        checkFolder(folder);
        Path file = folder.resolve(TEST_FILE);
        int available = CifarReader.records(file);
        if (limit > available) {
            throw new IllegalArgumentException("testLimit must be <= " + available + " (records in " + file + "), got "
                    + limit);
        }
        CifarReader.Batch b = CifarReader.read(file, limit > 0 ? limit : available);
        return new Raw(b.count(), b.labels(), b.pixels());
    }

    private static void checkFolder(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new DataException(folder + ": no such directory (expected the CIFAR-10 binary files "
                    + "data_batch_1.bin .. data_batch_5.bin and test_batch.bin in it)");
        }
    }

    /** Exact per-channel statistics of pixel / 255 over the split's images, via one histogram per channel. */
    static Stats stats(Raw raw) {
        if (raw.count == 0) {
            throw new DataException("the CIFAR-10 training set is empty");
        }
        long[][] hist = new long[CifarReader.CHANNELS][256];
        byte[] px = raw.pixels;
        for (int r = 0; r < raw.count; r++) {
            int base = r * CifarReader.IMAGE_BYTES;
            for (int c = 0; c < CifarReader.CHANNELS; c++) {
                long[] h = hist[c];
                int start = base + c * CifarReader.PLANE;
                for (int p = 0; p < CifarReader.PLANE; p++) {
                    h[px[start + p] & 0xff]++;
                }
            }
        }
        double n = (double) raw.count * CifarReader.PLANE;
        double[] mean = new double[CifarReader.CHANNELS];
        double[] std = new double[CifarReader.CHANNELS];
        for (int c = 0; c < CifarReader.CHANNELS; c++) {
            double sum = 0;
            for (int v = 0; v < 256; v++) {
                sum += hist[c][v] * (v / 255.0);
            }
            mean[c] = sum / n;
            double ss = 0;
            for (int v = 0; v < 256; v++) {
                double d = v / 255.0 - mean[c];
                ss += hist[c][v] * d * d;
            }
            std[c] = Math.sqrt(ss / n);
        }
        return new Stats(mean, std);
    }

    /** One 256-entry lookup table per channel: byte value to standardised float. */
    static float[][] tables(Stats stats) {
        float[][] t = new float[CifarReader.CHANNELS][256];
        for (int c = 0; c < CifarReader.CHANNELS; c++) {
            double std = stats.std[c] > 1e-12 ? stats.std[c] : 1.0; // a constant channel: centre only
            for (int v = 0; v < 256; v++) {
                t[c][v] = (float) ((v / 255.0 - stats.mean[c]) / std);
            }
        }
        return t;
    }

    /** CHW bytes to normalised NHWC floats: feature {@code (y * 32 + x) * 3 + c} of each image. */
    static float[] toNhwc(Raw raw, float[][] tables) {
        float[] out = new float[raw.count * CifarReader.IMAGE_BYTES];
        byte[] px = raw.pixels;
        float[] red = tables[0];
        float[] green = tables[1];
        float[] blue = tables[2];
        for (int r = 0; r < raw.count; r++) {
            int base = r * CifarReader.IMAGE_BYTES;
            int o = base;
            for (int p = 0; p < CifarReader.PLANE; p++) {
                out[o++] = red[px[base + p] & 0xff];
                out[o++] = green[px[base + CifarReader.PLANE + p] & 0xff];
                out[o++] = blue[px[base + 2 * CifarReader.PLANE + p] & 0xff];
            }
        }
        return out;
    }

    static int[] labels(Raw raw) {
        int[] l = new int[raw.count];
        for (int i = 0; i < raw.count; i++) {
            l[i] = raw.labels[i] & 0xff;
        }
        return l;
    }

    private static Dataset toDataset(String name, Raw raw, float[][] tables, Normalizer normalizer) {
        return Dataset.ofNormalized(name, toNhwc(raw, tables), labels(raw), CifarReader.IMAGE_BYTES,
                CifarReader.CLASSES, normalizer);
    }
}
