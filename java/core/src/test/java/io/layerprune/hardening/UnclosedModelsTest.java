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
 * accounting of native bytes the collector would never run). The largest RSS after the first 100
 * models may exceed the largest RSS of the first 100 by less than 5 %. Without the Cleaner
 * (or with it but no collection paced by native bytes) RSS grows by ~3.5 MB per model, about 3 GB
 * over the 900 later models.
 */
class UnclosedModelsTest {
    static final int MODELS = 1000;
    static final int WARMUP = 100;

    @Test
    void rssStaysBoundedWithoutClose() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                UnclosedModels.class.getName(), Integer.toString(MODELS));
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
        long first = rss.subList(0, WARMUP).stream().mapToLong(Long::longValue).max().orElseThrow();
        long later = rss.subList(WARMUP, MODELS).stream().mapToLong(Long::longValue).max().orElseThrow();
        System.out.printf("UnclosedModelsTest: peak RSS %d KB over the first %d models, %d KB over the next %d (%+.1f %%)%n",
                first, WARMUP, later, MODELS - WARMUP, 100.0 * (later - first) / first);
        assertTrue(later < 1.05 * first, "RSS grew from " + first + " KB to " + later + " KB");
        assertTrue(other.stream().anyMatch(l -> l.contains("was not closed")),
                "the collector's frees are logged once: " + other);
        assertEquals(1, other.stream().filter(l -> l.contains("was not closed")).count(), "logged once: " + other);
    }
}
