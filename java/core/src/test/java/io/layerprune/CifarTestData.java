package io.layerprune;

import io.layerprune.data.CifarReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Small CIFAR-10 binary folders written on the fly (the real files cannot be downloaded here). */
public final class CifarTestData {
    private CifarTestData() {}

    /** Records per training file of {@link #writeFolder}: two of 20, three small ones. */
    public static final int[] TRAIN_COUNTS = {20, 20, 2, 3, 1};
    /** Records of the test file of {@link #writeFolder}. */
    public static final int TEST_COUNT = 10;

    /**
     * {@code count} records: label {@code (first + i) % 10}, pixels pseudo-random with a different
     * brightness per channel (red brighter than green brighter than blue, so the channels'
     * statistics differ).
     */
    public static byte[] records(int count, int first, long seed) {
        byte[] b = new byte[count * CifarReader.RECORD_BYTES];
        byte[] noise = TestData.pixels(count * CifarReader.IMAGE_BYTES, seed);
        for (int r = 0; r < count; r++) {
            int o = r * CifarReader.RECORD_BYTES;
            b[o] = (byte) ((first + r) % 10);
            for (int c = 0; c < 3; c++) {
                for (int p = 0; p < CifarReader.PLANE; p++) {
                    int v = (noise[r * CifarReader.IMAGE_BYTES + c * CifarReader.PLANE + p] & 0xff) / (c + 1);
                    b[o + 1 + c * CifarReader.PLANE + p] = (byte) v;
                }
            }
        }
        return b;
    }

    /** Writes data_batch_1..5.bin ({@link #TRAIN_COUNTS} records) and test_batch.bin ({@link #TEST_COUNT}). */
    public static void writeFolder(Path dir) {
        int first = 0;
        for (int i = 0; i < TRAIN_COUNTS.length; i++) {
            write(dir.resolve("data_batch_" + (i + 1) + ".bin"), records(TRAIN_COUNTS[i], first, 100 + i));
            first += TRAIN_COUNTS[i];
        }
        write(dir.resolve("test_batch.bin"), records(TEST_COUNT, 3, 7));
    }

    public static int trainTotal() {
        int n = 0;
        for (int c : TRAIN_COUNTS) {
            n += c;
        }
        return n;
    }

    public static void write(Path file, byte[] data) {
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
