package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerprune.DataException;
import io.layerprune.LayerpruneException;
import io.layerprune.TestData;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.IdxReader;
import io.layerprune.runtime.Layerprune;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based tests of the IDX readers ({@link IdxReader}, {@link IdxDataset}): random bytes,
 * every truncation of small valid files (plain and gzip, images and labels) and random bit flips.
 * Every case must end in a valid result or in a {@link DataException} / {@link LayerpruneException}
 * / {@link IllegalArgumentException} with a non-empty message; any other throwable, or a read
 * taking longer than {@link #TIMEOUT_S} seconds, fails the property. The case counts are printed
 * at the end.
 */
class IdxReaderPropertiesTest {
    static final long TIMEOUT_S = 20;

    /** Small valid files: 3 images of 4x5 and their labels 0, 1, 2. */
    static final byte[] IMAGES = TestData.imagesIdx(3, 4, 5, TestData.pixels(60, 7));
    static final byte[] LABELS = TestData.labelsIdx(new byte[] {0, 1, 2});

    enum Kind { IMAGES, LABELS }

    record Variant(Kind kind, boolean gz, byte[] bytes) {
        @Override
        public String toString() {
            return kind + (gz ? ".gz" : "") + "[" + bytes.length + " bytes]";
        }
    }

    static final List<Variant> VARIANTS = List.of(new Variant(Kind.IMAGES, false, IMAGES),
            new Variant(Kind.IMAGES, true, TestData.gzip(IMAGES)), new Variant(Kind.LABELS, false, LABELS),
            new Variant(Kind.LABELS, true, TestData.gzip(LABELS)));

    static Path dir;
    static ExecutorService executor;
    static final Map<String, AtomicInteger> CASES = new ConcurrentSkipListMap<>();
    static final Map<String, AtomicInteger> OUTCOMES = new ConcurrentSkipListMap<>();

    @BeforeContainer
    static void setUp() throws IOException {
        Layerprune.setThreads(1);
        dir = Files.createTempDirectory("layerprune-idx-props");
        executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "idx-property-case");
            t.setDaemon(true);
            return t;
        });
    }

    @AfterContainer
    static void tearDown() throws IOException {
        executor.shutdownNow();
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        int total = CASES.values().stream().mapToInt(AtomicInteger::get).sum();
        System.out.println("IdxReaderPropertiesTest: " + total + " cases " + CASES + ", outcomes " + OUTCOMES);
    }

    // ---------------------------------------------------------------------------------------------
    // Properties

    /** Arbitrary bytes (sometimes behind a valid magic number, sometimes gzip-compressed). */
    @Property(tries = 1500)
    void randomBytes(@ForAll @Size(max = 300) byte[] body, @ForAll Kind kind, @ForAll boolean magicPrefix,
            @ForAll boolean gz) {
        byte[] raw = body;
        if (magicPrefix) {
            raw = concat(kind == Kind.IMAGES ? TestData.imagesIdx(0, 0, 0, new byte[0]) : TestData.labelsIdx(new byte[0]),
                    body, 4);
        }
        byte[] bytes = gz ? TestData.gzip(raw) : raw;
        read("randomBytes", kind, bytes);
    }

    /** Every prefix of each small valid file, from 0 bytes to the whole file (exhaustive). */
    @Property(generation = GenerationMode.EXHAUSTIVE)
    void everyTruncation(@ForAll("truncations") Truncation t) {
        byte[] bytes = java.util.Arrays.copyOf(t.variant().bytes(), t.length());
        Object result = read("truncation", t.variant().kind(), bytes);
        if (t.length() < t.variant().bytes().length && !t.variant().gz()) {
            // A shorter plain file can never be valid: the header says how much data follows.
            assertTrue(result == null, "truncated to " + t.length() + " bytes but read as valid: " + t);
        }
        if (t.length() == t.variant().bytes().length) {
            assertNotNull(result, "the whole valid file must read: " + t);
        }
    }

    record Truncation(Variant variant, int length) {}

    @Provide
    Arbitrary<Truncation> truncations() {
        List<Truncation> all = new ArrayList<>();
        for (Variant v : VARIANTS) {
            for (int len = 0; len <= v.bytes().length; len++) {
                all.add(new Truncation(v, len));
            }
        }
        return Arbitraries.of(all);
    }

    /** One to four random bit flips in a small valid file. */
    @Property(tries = 3000)
    void bitFlips(@ForAll @IntRange(min = 0, max = 3) int variant, @ForAll @Size(min = 1, max = 4) List<@IntRange(
            min = 0, max = Integer.MAX_VALUE) Integer> positions) {
        Variant v = VARIANTS.get(variant);
        byte[] bytes = v.bytes().clone();
        for (int p : positions) {
            int bit = p % (bytes.length * 8);
            bytes[bit / 8] ^= (byte) (1 << (bit % 8));
        }
        read("bitFlips", v.kind(), bytes);
    }

    /**
     * A whole folder through {@link IdxDataset#load}: three valid files and one mutated one
     * (truncated, bit-flipped or replaced by random bytes); the native data sets are built when
     * the files are valid.
     */
    @Property(tries = 400)
    void datasetFolder(@ForAll @IntRange(min = 0, max = 3) int which, @ForAll boolean gz,
            @ForAll @IntRange(min = 0, max = 2) int mutation, @ForAll @IntRange(min = 0, max = Integer.MAX_VALUE) int r,
            @ForAll @Size(max = 64) byte[] random) throws IOException {
        Path folder = dir.resolve("folder");
        Files.createDirectories(folder);
        try (Stream<Path> s = Files.list(folder)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"};
        for (int i = 0; i < 4; i++) {
            byte[] plain = i % 2 == 0 ? IMAGES : LABELS;
            byte[] bytes = gz ? TestData.gzip(plain) : plain;
            if (i == which) {
                bytes = switch (mutation) {
                    case 0 -> java.util.Arrays.copyOf(bytes, r % (bytes.length + 1));
                    case 1 -> {
                        byte[] b = bytes.clone();
                        int bit = r % (b.length * 8);
                        b[bit / 8] ^= (byte) (1 << (bit % 8));
                        yield b;
                    }
                    default -> random;
                };
            }
            TestData.write(folder.resolve(names[i] + (gz ? ".gz" : "")), bytes);
        }
        outcome("datasetFolder", () -> {
            try (IdxDataset.Splits splits = IdxDataset.load(folder, 0, 0, 10)) {
                assertEquals(20, splits.train().dim());
                assertTrue(splits.train().size() > 0);
                assertTrue(Double.isFinite(splits.mean()) && Double.isFinite(splits.std()));
                return splits.train().size();
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers

    /** Writes the bytes to a file and reads it; returns the result, or null if it was rejected. */
    static Object read(String property, Kind kind, byte[] bytes) {
        Path file = dir.resolve(kind == Kind.IMAGES ? "images-idx3-ubyte" : "labels-idx1-ubyte");
        TestData.write(file, bytes);
        return outcome(property, () -> {
            if (kind == Kind.IMAGES) {
                IdxReader.Images im = IdxReader.readImages(file);
                assertTrue(im.count() >= 0 && im.rows() > 0 && im.cols() > 0, "dimensions " + im);
                assertEquals((long) im.count() * im.rows() * im.cols(), im.pixels().length, "pixel count");
                return im;
            }
            return IdxReader.readLabels(file);
        });
    }

    /** Runs one case with a timeout and classifies its outcome. */
    static Object outcome(String property, Callable<?> action) {
        CASES.computeIfAbsent(property, k -> new AtomicInteger()).incrementAndGet();
        Future<?> f = executor.submit(action);
        try {
            Object result = f.get(TIMEOUT_S, TimeUnit.SECONDS);
            count(property + ".valid");
            return result;
        } catch (TimeoutException e) {
            f.cancel(true);
            fail(property + ": no answer after " + TIMEOUT_S + " s (hang)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail(e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof DataException || c instanceof LayerpruneException || c instanceof IllegalArgumentException) {
                assertNotNull(c.getMessage(), "exception without message: " + c);
                assertFalse(c.getMessage().isBlank(), "exception with a blank message: " + c);
                count(property + "." + c.getClass().getSimpleName());
                return null;
            }
            if (c instanceof AssertionError a) {
                throw a;
            }
            throw new AssertionError(property + ": unexpected " + c.getClass().getName() + ": " + c.getMessage(), c);
        }
        return null;
    }

    static void count(String key) {
        OUTCOMES.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }

    static byte[] concat(byte[] header, byte[] body, int keepHeader) {
        byte[] out = new byte[keepHeader + body.length];
        System.arraycopy(header, 0, out, 0, keepHeader);
        System.arraycopy(body, 0, out, keepHeader, body.length);
        return out;
    }
}
