package io.layerprune.examples.snippets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.runtime.Layerprune;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java snippets are this module's code (issue 13 item 7): every ```java block of
 * README.md is preceded by {@code <!-- snippet: NAME -->} and equals the regions
 * {@code // README: NAME imports} and {@code // README: NAME} of the sources here (indentation
 * removed), which the build compiles. The tabular snippet also runs, on generated data.
 */
class ReadmeSnippetsTest {
    static final Path README = Path.of("..", "..", "README.md");
    static final Path SOURCES = Path.of("src", "main", "java");

    @TempDir
    Path dir;

    @Test
    void everyJavaBlockOfTheReadmeIsCompiledCode() throws IOException {
        Map<String, String> regions = regions();
        List<String> lines = Files.readAllLines(README);
        int blocks = 0;
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).strip().equals("```java")) {
                continue;
            }
            blocks++;
            String marker = i > 0 ? lines.get(i - 1).strip() : "";
            assertTrue(marker.startsWith("<!-- snippet: ") && marker.endsWith(" -->"),
                    "README line " + (i + 1) + ": a ```java block without a <!-- snippet: NAME --> line before it");
            String name = marker.substring("<!-- snippet: ".length(), marker.length() - " -->".length()).strip();
            StringBuilder block = new StringBuilder();
            int j = i + 1;
            for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
                block.append(lines.get(j)).append('\n');
            }
            assertTrue(regions.containsKey(name), "no region '" + name + "' in " + SOURCES + " (have " + regions.keySet() + ")");
            String expected = (regions.containsKey(name + " imports") ? regions.get(name + " imports") + "\n" : "")
                    + regions.get(name);
            assertEquals(expected, block.toString(), "README snippet '" + name + "' differs from its source");
            i = j;
        }
        assertTrue(blocks >= 2, "the README has " + blocks + " Java blocks");
    }

    /** name -> the region's lines, common indentation removed, each ending with a newline. */
    static Map<String, String> regions() throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.walk(SOURCES)) {
            files = s.filter(p -> p.toString().endsWith(".java")).toList();
        }
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                String t = lines.get(i).strip();
                if (!t.startsWith("// README: ")) {
                    continue;
                }
                String name = t.substring("// README: ".length()).strip();
                List<String> body = new ArrayList<>();
                int j = i + 1;
                for (; j < lines.size() && !lines.get(j).strip().equals("// END README"); j++) {
                    body.add(lines.get(j));
                }
                assertFalse(j == lines.size(), f + ": region '" + name + "' has no // END README");
                int indent = body.stream().filter(l -> !l.isBlank())
                        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
                StringBuilder sb = new StringBuilder();
                for (String l : body) {
                    sb.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
                }
                assertFalse(out.containsKey(name), "region '" + name + "' twice");
                out.put(name, sb.toString());
                i = j;
            }
        }
        return out;
    }

    /** The tabular snippet on raw data far from standardised: it must learn it and predict raw rows. */
    @Test
    void tabularSnippetRuns() throws IOException {
        Layerprune.setThreads(1);
        Random r = new Random(3);
        int n = 600;
        float[][] x = new float[n][6];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
            for (int d = 0; d < 6; d++) {
                double signal = d < 3 ? (d == y[i] ? 2.0 : 0.0) + 0.5 * r.nextGaussian() : r.nextGaussian();
                x[i][d] = (float) (1000 * (d + 1) + 0.01 * signal);
            }
        }
        int[] predicted = TabularData.run(x, y, dir);
        int ok = 0;
        for (int i = 0; i < 10; i++) {
            ok += predicted[i] == y[i] ? 1 : 0;
        }
        assertTrue(ok >= 8, ok + " of the first 10 rows classified correctly");
        for (String f : List.of("model.lpckpt", "model.lpexport", "model.onnx")) {
            assertTrue(Files.size(dir.resolve(f)) > 0, f);
        }
    }
}
