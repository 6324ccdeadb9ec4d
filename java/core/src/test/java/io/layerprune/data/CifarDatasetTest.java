package io.layerprune.data;

import io.layerprune.CifarTestData;
import io.layerprune.DataException;
import io.layerprune.runtime.Layerprune;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CIFAR-10 binary reading on generated files: layout, normalisation, limits and every bad-file message. */
class CifarDatasetTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void oneThread() {
        Layerprune.setThreads(1);
    }

    @BeforeEach
    void folder() {
        CifarTestData.writeFolder(dir);
    }

    /** All training records as written, concatenated in file order (1 label + 3072 CHW bytes each). */
    private byte[] trainBytes() throws Exception {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String f : CifarDataset.TRAIN_FILES) {
            all.write(Files.readAllBytes(dir.resolve(f)));
        }
        return all.toByteArray();
    }

    /** Per-channel mean and std of pixel/255 over the first n records, computed naively (two passes). */
    private static double[][] naiveStats(byte[] records, int n) {
        double[] mean = new double[3];
        double[] std = new double[3];
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (int r = 0; r < n; r++) {
                for (int p = 0; p < 1024; p++) {
                    sum += (records[r * 3073 + 1 + c * 1024 + p] & 0xff) / 255.0;
                }
            }
            mean[c] = sum / (n * 1024.0);
            double ss = 0;
            for (int r = 0; r < n; r++) {
                for (int p = 0; p < 1024; p++) {
                    double d = (records[r * 3073 + 1 + c * 1024 + p] & 0xff) / 255.0 - mean[c];
                    ss += d * d;
                }
            }
            std[c] = Math.sqrt(ss / (n * 1024.0));
        }
        return new double[][] {mean, std};
    }

    /** Checks every feature: NHWC position (y*32+x)*3+c holds the file's CHW byte c*1024+y*32+x, normalised. */
    private static void assertNhwc(float[] features, byte[] records, int n, double[] mean, double[] std) {
        assertEquals(n * 3072, features.length);
        for (int r = 0; r < n; r++) {
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    for (int c = 0; c < 3; c++) {
                        int raw = records[r * 3073 + 1 + c * 1024 + y * 32 + x] & 0xff;
                        double want = (raw / 255.0 - mean[c]) / std[c];
                        float got = features[r * 3072 + (y * 32 + x) * 3 + c];
                        if (Math.abs(got - want) > 1e-5) {
                            throw new AssertionError("record " + r + " y " + y + " x " + x + " channel " + c + ": "
                                    + got + " != " + want);
                        }
                    }
                }
            }
        }
    }

    @Test
    void roundTripPixelsLabelsNhwcAndPerChannelNormalisation() throws Exception {
        int n = CifarTestData.trainTotal();
        byte[] train = trainBytes();
        byte[] test = Files.readAllBytes(dir.resolve("test_batch.bin"));
        double[][] st = naiveStats(train, n);
        // the generator makes the channels differ: otherwise a global normalisation would pass too
        assertTrue(st[0][0] > st[0][1] + 0.1 && st[0][1] > st[0][2] + 0.05, Arrays.toString(st[0]));

        CifarDataset.Raw raw = CifarDataset.readTrain(dir, 0);
        assertEquals(n, raw.count());
        CifarDataset.Stats stats = CifarDataset.stats(raw);
        assertArrayEquals(st[0], stats.mean(), 1e-12);
        assertArrayEquals(st[1], stats.std(), 1e-12);
        float[] features = CifarDataset.toNhwc(raw, CifarDataset.tables(stats));
        assertNhwc(features, train, n, st[0], st[1]);
        int[] labels = CifarDataset.labels(raw);
        for (int r = 0; r < n; r++) {
            assertEquals(train[r * 3073], labels[r], "label of record " + r);
            assertEquals(r % 10, labels[r]);
        }
        // normalised training features: mean 0, std 1 per channel
        for (int c = 0; c < 3; c++) {
            double s = 0;
            double ss = 0;
            for (int i = c; i < features.length; i += 3) {
                s += features[i];
                ss += (double) features[i] * features[i];
            }
            int m = features.length / 3;
            assertEquals(0.0, s / m, 1e-4, "channel " + c + " mean");
            assertEquals(1.0, Math.sqrt(ss / m - (s / m) * (s / m)), 1e-4, "channel " + c + " std");
        }

        // the test split uses the training statistics
        CifarDataset.Raw testRaw = CifarDataset.readTest(dir, 0);
        assertEquals(CifarTestData.TEST_COUNT, testRaw.count());
        assertNhwc(CifarDataset.toNhwc(testRaw, CifarDataset.tables(stats)), test, CifarTestData.TEST_COUNT, st[0],
                st[1]);

        try (CifarDataset.Splits s = CifarDataset.load(dir)) {
            assertEquals(n, s.train().size());
            assertEquals(CifarTestData.TEST_COUNT, s.test().size());
            assertEquals(3072, s.train().dim());
            assertEquals(10, s.train().classes());
            assertEquals("cifar-10/train", s.train().name());
            assertArrayEquals(st[0], s.mean(), 1e-12);
            assertArrayEquals(st[1], s.std(), 1e-12);
        }
    }

    @Test
    void oneKnownPixelLandsAtItsNhwcIndex() {
        // One record per file, all zero except the green value of pixel (y 1, x 2) = 255.
        byte[] rec = new byte[3073];
        rec[0] = 7;
        rec[1 + 1024 + 1 * 32 + 2] = (byte) 255;
        for (String f : CifarDataset.TRAIN_FILES) {
            CifarTestData.write(dir.resolve(f), rec);
        }
        CifarTestData.write(dir.resolve("test_batch.bin"), rec);
        CifarDataset.Raw raw = CifarDataset.readTrain(dir, 1);
        CifarDataset.Stats stats = CifarDataset.stats(raw);
        assertEquals(0.0, stats.mean()[0]);
        assertEquals(1.0 / 1024, stats.mean()[1], 1e-15);
        float[] f = CifarDataset.toNhwc(raw, CifarDataset.tables(stats));
        int hot = (1 * 32 + 2) * 3 + 1;
        for (int i = 0; i < f.length; i++) {
            if (i == hot) {
                assertTrue(f[i] > 30, "the hot pixel: " + f[i]); // (1 - 1/1024) / sqrt(1023)/1024 = 31.98
            } else if (i % 3 == 1) {
                assertTrue(f[i] < 0, "other green values are below the mean: " + i);
            } else {
                assertEquals(0f, f[i], "red and blue are constant 0: centred only, index " + i);
            }
        }
        assertEquals(7, CifarDataset.labels(raw)[0]);
    }

    @Test
    void limitsUseTheFirstRecordsAcrossFilesAndTheirStatistics() throws Exception {
        byte[] train = trainBytes();
        CifarDataset.Raw raw = CifarDataset.readTrain(dir, 25); // 20 of batch 1 and 5 of batch 2
        assertEquals(25, raw.count());
        double[][] st = naiveStats(train, 25);
        CifarDataset.Stats stats = CifarDataset.stats(raw);
        assertArrayEquals(st[0], stats.mean(), 1e-12);
        assertNhwc(CifarDataset.toNhwc(raw, CifarDataset.tables(stats)), train, 25, st[0], st[1]);
        try (CifarDataset.Splits s = CifarDataset.load(dir, 25, 4)) {
            assertEquals(25, s.train().size());
            assertEquals(4, s.test().size());
            assertArrayEquals(st[0], s.mean(), 1e-12);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> CifarDataset.load(dir, 47, 0));
        assertTrue(e.getMessage().contains("trainLimit must be <= 46"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> CifarDataset.load(dir, 0, 11));
        assertTrue(e.getMessage().contains("testLimit must be <= 10"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> CifarDataset.load(dir, -1, 0));
    }

    private DataException loadFails() {
        return assertThrows(DataException.class, () -> CifarDataset.load(dir));
    }

    private static void contains(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + p + "' missing in: " + e.getMessage());
        }
    }

    @Test
    void truncatedFileNamesSizeAndIncompleteRecord() throws Exception {
        Path f = dir.resolve("data_batch_2.bin");
        byte[] b = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(b, b.length - 100)); // 20 * 3073 - 100 = 61360 bytes
        contains(loadFails(), f.toString(), "truncated or malformed", "61360 bytes", "not a multiple of the 3073-byte",
                "19 complete records", "record 19 (0-based) is incomplete: 2973 of its 3073 bytes");
        // extra bytes after the last record are as wrong as missing ones
        Files.write(f, Arrays.copyOf(b, b.length + 5));
        contains(loadFails(), f.toString(), "61465 bytes", "record 20 (0-based) is incomplete: 5 of its 3073 bytes");
    }

    @Test
    void labelAboveNineNamesFileRecordAndValue() throws Exception {
        Path f = dir.resolve("test_batch.bin");
        byte[] b = Files.readAllBytes(f);
        b[4 * 3073] = (byte) 200;
        Files.write(f, b);
        contains(loadFails(), f.toString(), "label 200 in record 4 (0-based, byte offset 12292)", "outside 0..9");

        Path t = dir.resolve("data_batch_1.bin");
        byte[] tb = Files.readAllBytes(t);
        tb[0] = 10;
        Files.write(t, tb);
        contains(loadFails(), t.toString(), "label 10 in record 0");
    }

    @Test
    void missingTestFile() throws Exception {
        Files.delete(dir.resolve("test_batch.bin"));
        contains(loadFails(), "missing file", dir.resolve("test_batch.bin").toString());
    }

    @Test
    void everyTrainingFileIsRequired() throws Exception {
        Files.delete(dir.resolve("data_batch_4.bin"));
        contains(loadFails(), "missing file", dir.resolve("data_batch_4.bin").toString());
        // even when a limit means its records would not be read
        DataException e = assertThrows(DataException.class, () -> CifarDataset.load(dir, 5, 0));
        contains(e, "data_batch_4.bin");
    }

    @Test
    void emptyFile() throws Exception {
        Path f = dir.resolve("data_batch_3.bin");
        Files.write(f, new byte[0]);
        contains(loadFails(), f.toString(), "is empty", "records of 3073 bytes", "found 0 bytes");
    }

    @Test
    void missingFolder() {
        Path none = dir.resolve("nope");
        DataException e = assertThrows(DataException.class, () -> CifarDataset.load(none));
        contains(e, none.toString(), "no such directory", "data_batch_1.bin");
        assertFalse(CifarDataset.isCifarFolder(none));
        assertTrue(CifarDataset.isCifarFolder(dir));
    }

    @Test
    void readerReadsOneFile() {
        CifarReader.Batch b = CifarReader.read(dir.resolve("data_batch_1.bin"));
        assertEquals(20, b.count());
        assertEquals(20 * 3072, b.pixels().length);
        assertEquals(3, CifarReader.read(dir.resolve("data_batch_1.bin"), 3).count());
        assertEquals(20, CifarReader.records(dir.resolve("data_batch_2.bin")));
    }
}
