package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.TestData;
import io.layerprune.report.SmallRun;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code layerprune plot} and the plots/CSV that {@code train} writes. */
class PlotCommandTest {
    @TempDir
    Path dir;

    @Test
    void plotCommandWritesThePngs() {
        Path report = dir.resolve("r/report.json");
        SmallRun.train(report, 1, 0.5, 3, 2000);
        MainTest.Run r = MainTest.run("plot", report.toString(), "--out", dir.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        List<String> lines = r.out().strip().lines().toList();
        assertEquals(4, lines.size(), r.out());
        for (String line : lines) {
            assertTrue(line.startsWith("plot: "), line);
            assertTrue(Files.isRegularFile(Path.of(line.substring(6))), line);
        }
    }

    @Test
    void badInputIsOneLine() {
        MainTest.oneLineError(MainTest.run("plot", dir.resolve("nope.json").toString(), "--out", dir.toString()),
                Main.EXIT_FAILURE, "nope.json", "no such file");
        MainTest.oneLineError(MainTest.run("plot", "--out", dir.toString()), Main.EXIT_USAGE, "REPORT");
        MainTest.oneLineError(MainTest.run("plot", dir.resolve("x.json").toString()), Main.EXIT_USAGE, "--out");
    }

    @Test
    void trainWritesCsvAndPlotsUnlessNoPlots() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        TestData.writeFolder(data, 256, 64, 28, 28, 10, false);
        String[] common = {"train", "--data", data.toString(), "--width", "16", "--sections", "3", "--epochs", "1",
            "--batch", "32", "--threads", "1", "--quiet"};
        Path report = dir.resolve("with/report.json");
        MainTest.Run r = MainTest.run(concat(common, "--report", report.toString()));
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(dir.resolve("with/report.steps.csv")));
        for (String name : List.of("theta", "params", "training-flops", "survivors")) {
            assertTrue(Files.size(dir.resolve("with/report-" + name + ".png")) > 0, name);
        }
        assertEquals("report: " + report, r.out().strip(), "--quiet prints only the report path");

        Path report2 = dir.resolve("without/report.json");
        MainTest.Run r2 = MainTest.run(concat(common, "--report", report2.toString(), "--no-plots"));
        assertEquals(0, r2.code(), r2.err());
        assertTrue(Files.isRegularFile(dir.resolve("without/report.steps.csv")));
        try (var s = Files.list(dir.resolve("without"))) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".png")));
        }
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
