package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The safety net for a forgotten close() (issue 14 item 2): 1,000 models built and never closed,
 * in a child JVM with a small heap (their Java objects are tiny: without the library's own
 * accounting of native bytes the collector would never run). RSS may grow by less than 5 % after
 * the first 100 models (mean over the last 100 against the mean over models 100-199). Without the Cleaner
 * (or with it but no collection paced by native bytes) RSS grows by ~3.5 MB per model, about 3 GB
 * over the 900 later models.
 */
class UnclosedModelsTest {
    static final int MODELS = 1000;
    static final int WARMUP = 100;

    @Test
    void rssStaysBoundedWithoutClose() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A 64 MB collection step (the default is 256 MB): RSS then saws between the resident base
        // and base + 64 MB every ~18 models, so a window of 100 models averages over several teeth.
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-Dlayerprune.gcStepBytes=" + (64L << 20),
                "-Dlayerprune.test.hooks=" + io.layerprune.TestData.testHook("liblayerprune_native_heap.so").getParent(),
                "-cp", System.getProperty("java.class.path"), UnclosedModels.class.getName(), Integer.toString(MODELS));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        List<Long> rss = new ArrayList<>();
        List<String> other = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("rss ")) {
                    rss.add(Long.parseLong(line.substring(4).trim()));
                } else {
                    other.add(line);
                }
            }
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "child did not finish");
        assertEquals(0, p.exitValue(), "child failed: " + other);
        assertEquals(MODELS, rss.size(), "models built: " + other);
        // Growth after the first 100: the mean RSS of the last 100 models against the mean of models
        // 100-199 (means over windows of several sawtooth teeth, not single peaks, whose phase is
        // chance). Without the Cleaner the last window would be ~3 GB above the first.
        double first = rss.subList(WARMUP, 2 * WARMUP).stream().mapToLong(Long::longValue).average().orElseThrow();
        double last = rss.subList(MODELS - WARMUP, MODELS).stream().mapToLong(Long::longValue).average().orElseThrow();
        long peak = rss.stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("UnclosedModelsTest: mean RSS %.0f KB over models 100-199, %.0f KB over the last 100 "
                + "(%+.1f %%), peak %d KB%n", first, last, 100.0 * (last - first) / first, peak);
        assertTrue(last < 1.05 * first, "RSS grew from " + first + " KB to " + last + " KB");
        assertTrue(other.stream().anyMatch(l -> l.contains("was not closed")),
                "the collector's frees are logged once: " + other);
        assertEquals(1, other.stream().filter(l -> l.contains("was not closed")).count(), "logged once: " + other);
    }
}
