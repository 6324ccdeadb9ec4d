package io.layerprune.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.TestData;
import io.layerprune.runtime.Layerprune;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data sets from arrays and buffers, normalizers, validation splits (issue 13 item 6). */
class NormalizerTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static final float[][] ROWS = {{1, 10, 100}, {3, 10, 300}, {5, 40, 500}, {7, 40, 700}};
    static final int[] LABELS = {0, 1, 0, 1};

    @Test
    void datasetsFromRowsAndBuffersAreTheSame() {
        float[] flat = {1, 10, 100, 3, 10, 300, 5, 40, 500, 7, 40, 700};
        FloatBuffer direct = ByteBuffer.allocateDirect(4 * flat.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
        direct.put(flat).flip();
        try (Dataset a = Dataset.of("rows", ROWS, LABELS, 2);
                Dataset b = Dataset.of("direct", direct, LABELS, 3, 2);
                Dataset c = Dataset.of("heap", FloatBuffer.wrap(flat), LABELS, 3, 2);
                Dataset d = Dataset.of("array", flat, LABELS, 3, 2)) {
            for (Dataset x : new Dataset[] {a, b, c, d}) {
                assertEquals(4, x.size());
                assertEquals(3, x.dim());
                assertTrue(x.normalizer().isEmpty(), "of() normalises nothing");
                assertEquals(Normalizer.fit(a), Normalizer.fit(x), x.name());
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("ragged", new float[][] {{1, 2}, {3}}, new int[] {0, 1}, 2));
        assertTrue(e.getMessage().contains("sample 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("short", FloatBuffer.wrap(new float[5]), LABELS, 3, 2));
        assertTrue(e.getMessage().contains("features"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Dataset.of("none", new float[0][], new int[0], 2));
    }

    @Test
    void fitNormaliseAndApplyAgree() {
        try (Dataset raw = Dataset.of("rows", ROWS, LABELS, 2)) {
            Normalizer n = Normalizer.fit(raw);
            assertArrayEquals(new double[] {4, 25, 400}, n.mean(), 1e-12);
            assertArrayEquals(new double[] {Math.sqrt(5), 15, Math.sqrt(50000)}, n.std(), 1e-9);
            try (Dataset norm = raw.normalized(n)) {
                assertEquals(n, norm.normalizer().orElseThrow());
                double[] m = new double[3];
                double[] sd = new double[3];
                // the normalised features have mean 0 and std 1 (statistics of the native copy)
                try (Dataset view = Dataset.of("copy", new float[][] {n.apply(ROWS[0], 3), n.apply(ROWS[1], 3),
                        n.apply(ROWS[2], 3), n.apply(ROWS[3], 3)}, LABELS, 2)) {
                    Normalizer unit = Normalizer.fit(view);
                    assertArrayEquals(new double[] {0, 0, 0}, unit.mean(), 1e-6);
                    assertArrayEquals(new double[] {1, 1, 1}, unit.std(), 1e-6);
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> norm.normalized(n));
                assertTrue(e.getMessage().contains("already normalised"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> Normalizer.fit(norm));
            }
            float[] applied = n.apply(new float[] {4, 25, 400, 1, 10, 100}, 3);
            assertArrayEquals(new float[] {0, 0, 0, (float) (-3 / Math.sqrt(5)), -1, (float) (-300 / Math.sqrt(50000))},
                    applied, 1e-6f);
            // per channel: feature i uses pair i % 3 for any multiple of 3 features
            Normalizer c = Normalizer.of(new double[] {1, 2, 3}, new double[] {1, 1, 2});
            assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, c.apply(new float[] {1, 2, 3, 2, 3, 5}, 6), 0f);
            assertThrows(IllegalArgumentException.class, () -> c.apply(new float[4], 4));
        }
        assertThrows(IllegalArgumentException.class, () -> Normalizer.of(new double[] {0}, new double[] {0}));
        assertThrows(IllegalArgumentException.class, () -> Normalizer.of(new double[] {Double.NaN}, new double[] {1}));
        assertThrows(IllegalArgumentException.class, () -> Normalizer.of(new double[] {0, 1}, new double[] {1}));
        assertNotEquals(Normalizer.of(new double[] {0}, new double[] {1}), Normalizer.of(new double[] {0}, new double[] {2}));
    }

    @Test
    void constantFeaturesAreOnlyCentred() {
        try (Dataset d = Dataset.of("const", new float[][] {{5, 1}, {5, 2}}, new int[] {0, 1}, 2)) {
            Normalizer n = Normalizer.fit(d);
            assertEquals(1.0, n.std()[0]);
            assertEquals(5.0, n.mean()[0]);
            assertEquals(2, Normalizer.fitPerChannel(d, 2).groups());
            assertEquals(1, Normalizer.fitPerChannel(d, 1).groups());
            assertThrows(IllegalArgumentException.class, () -> Normalizer.fitPerChannel(d, 3));
        }
    }

    @Test
    void splitsAreSeededDisjointAndComplete() {
        long[][] a = Dataset.splitRows(1000, 0.1, 7);
        long[][] b = Dataset.splitRows(1000, 0.1, 7);
        long[][] c = Dataset.splitRows(1000, 0.1, 8);
        assertArrayEquals(a[1], b[1]);
        assertTrue(!Arrays.equals(a[1], c[1]), "another seed, another split");
        assertEquals(100, a[1].length);
        assertEquals(900, a[0].length);
        Set<Long> all = new HashSet<>();
        LongStream.of(a[0]).forEach(all::add);
        LongStream.of(a[1]).forEach(all::add);
        assertEquals(1000, all.size());
        for (long[] part : a) {
            for (int i = 1; i < part.length; i++) {
                assertTrue(part[i - 1] < part[i], "ascending");
            }
        }
        assertEquals(1, Dataset.splitRows(3, 0.01, 1)[1].length, "at least one held out");
        assertEquals(1, Dataset.splitRows(2, 0.99, 1)[0].length, "at least one kept");

        try (Dataset d = Dataset.of("rows", ROWS, LABELS, 2); Dataset.Split s = d.split(0.25, 3)) {
            assertEquals(3, s.train().size());
            assertEquals(1, s.validation().size());
            assertEquals("rows/validation", s.validation().name());
            try (Dataset.Split n = s.standardized()) {
                Normalizer fitted = Normalizer.fit(s.train());
                assertEquals(fitted, n.train().normalizer().orElseThrow());
                assertEquals(fitted, n.validation().normalizer().orElseThrow(), "the training split's statistics");
            }
            for (double bad : new double[] {0, 1, -0.5, Double.NaN}) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.split(bad, 1));
                assertTrue(e.getMessage().contains("validationFraction"), e.getMessage());
            }
        }
    }

    @Test
    void idxLoaderHoldsOutValidationImagesAndRecordsItsNormalizer() {
        TestData.writeFolder(dir, 50, 10, 4, 4, 10, false);
        try (IdxDataset.Splits all = IdxDataset.load(dir, 0, 0, 10);
                IdxDataset.Splits held = IdxDataset.load(dir, 0, 0, 10, 0.2, 5);
                IdxDataset.Splits again = IdxDataset.load(dir, 0, 0, 10, 0.2, 5)) {
            assertEquals(50, all.train().size());
            assertTrue(!all.hasValidation());
            assertEquals(40, held.train().size());
            assertEquals(10, held.validation().size());
            assertEquals(10, held.test().size());
            Normalizer n = held.normalizer();
            assertEquals(1, n.groups());
            assertEquals(255 * held.mean(), n.mean()[0], 1e-9);
            assertEquals(255 * held.std(), n.std()[0], 1e-9);
            for (Dataset d : new Dataset[] {held.train(), held.validation(), held.test()}) {
                assertEquals(n, d.normalizer().orElseThrow(), d.name());
            }
            assertEquals(n, again.normalizer(), "the same seed, the same split and statistics");
            // the statistics are the training part's (without the validation images)
            assertTrue(held.mean() != all.mean() || held.std() != all.std());
        }
    }
}
