package io.layerprune;

import io.layerprune.data.IdxReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

/** Helpers shared by the tests: IDX files written on the fly, the Fashion-MNIST location. */
public final class TestData {
    public static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    private TestData() {}

    /**
     * A test-only native helper library (native/tests/hooks, built into target/native/test-hooks by the CMake
     * build, never packaged): the folder surefire passes as {@code layerprune.test.hooks}, else that folder
     * found from the working directory. Fails, saying how to build it, when it is not there.
     */
    public static Path testHook(String library) {
        String configured = System.getProperty("layerprune.test.hooks");
        Path[] candidates = configured != null
                ? new Path[] {Path.of(configured)}
                : new Path[] {Path.of("target/native/test-hooks"), Path.of("../../target/native/test-hooks")};
        for (Path dir : candidates) {
            Path file = dir.resolve(library).toAbsolutePath().normalize();
            if (Files.isRegularFile(file)) {
                return file;
            }
        }
        throw new AssertionError("the test-only native library " + library + " is not in "
                + java.util.Arrays.toString(candidates) + ": the CMake build of native/ builds it with"
                + " LAYERPRUNE_BUILD_TEST_HOOKS=ON (the default; mvn verify does)");
    }

    /** Whether the Fashion-MNIST files are installed. */
    public static boolean fashionAvailable() {
        return Files.isDirectory(FASHION)
                && Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz"))
                && Files.exists(FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
    }

    public static byte[] imagesIdx(int count, int rows, int cols, byte[] pixels) {
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(IdxReader.IMAGES_MAGIC).putInt(count).putInt(rows).putInt(cols).put(pixels);
        return b.array();
    }

    public static byte[] labelsIdx(byte[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(IdxReader.LABELS_MAGIC).putInt(labels.length).put(labels);
        return b.array();
    }

    public static byte[] gzip(byte[] data) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (OutputStream gz = new GZIPOutputStream(bos)) {
                gz.write(data);
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    public static void write(Path file, byte[] data) {
        try {
            Files.write(file, data);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** Deterministic pseudo-random pixels. */
    public static byte[] pixels(int n, long seed) {
        byte[] p = new byte[n];
        long x = seed * 0x9E3779B97F4A7C15L + 1;
        for (int i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            p[i] = (byte) x;
        }
        return p;
    }

    /** Writes a complete little MNIST-format folder: train and t10k, images rows x cols, labels i % classes. */
    public static void writeFolder(Path dir, int train, int test, int rows, int cols, int classes, boolean gz) {
        writeSplit(dir, "train", train, rows, cols, classes, gz, 1);
        writeSplit(dir, "t10k", test, rows, cols, classes, gz, 2);
    }

    public static void writeSplit(Path dir, String prefix, int count, int rows, int cols, int classes, boolean gz,
            long seed) {
        byte[] labels = new byte[count];
        for (int i = 0; i < count; i++) {
            labels[i] = (byte) (i % classes);
        }
        byte[] images = imagesIdx(count, rows, cols, pixels(count * rows * cols, seed));
        byte[] lab = labelsIdx(labels);
        String suffix = gz ? ".gz" : "";
        write(dir.resolve(prefix + "-images-idx3-ubyte" + suffix), gz ? gzip(images) : images);
        write(dir.resolve(prefix + "-labels-idx1-ubyte" + suffix), gz ? gzip(lab) : lab);
    }
}
