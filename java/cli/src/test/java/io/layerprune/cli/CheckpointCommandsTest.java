package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * train --save / --resume, eval and inspect on a small generated MNIST-format folder: a run stopped
 * after epoch 1 and resumed writes the uninterrupted run's report (timings aside); eval reproduces
 * the final test accuracy exactly; bad files give one-line errors and exit code 1.
 */
class CheckpointCommandsTest {
    @TempDir
    Path dir;

    Path data;

    @BeforeEach
    void folder() {
        data = dir.resolve("data");
        try {
            Files.createDirectories(data);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        TestData.writeFolder(data, 320, 96, 28, 28, 10, false);
    }

    String[] train(String... extra) {
        String[] base = {"train", "--data", data.toString(), "--epochs", "2", "--sections", "3", "--width", "16",
                "--batch", "32", "--lambda", "2", "--patience", "3", "--threads", "1", "--quiet"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    static JsonNode report(Path p) throws Exception {
        return DeterminismTest.withoutTiming(ReportWriter.mapper().readTree(p.toFile()));
    }

    @Test
    void resumedRunWritesTheUninterruptedReportAndEvalReproducesItsAccuracy() throws Exception {
        Path full = dir.resolve("full.lpckpt");
        MainTest.Run a = MainTest.run(train("--report", dir.resolve("a.json").toString(), "--save", full.toString()));
        assertEquals(0, a.code(), a.err());

        Path part = dir.resolve("part.lpckpt");
        MainTest.Run b1 = MainTest.run(train("--report", dir.resolve("b.json").toString(), "--save", part.toString(),
                "--stop-after-epochs", "1"));
        assertEquals(0, b1.code(), b1.err());
        assertTrue(b1.out().contains("stopped after epoch 1"), b1.out());
        assertTrue(report(dir.resolve("b.json")).get("final").isNull());
        MainTest.Run b2 = MainTest.run("train", "--resume", part.toString(), "--quiet");
        assertEquals(0, b2.code(), b2.err());
        assertTrue(b2.out().contains("report: " + dir.resolve("b.json")), b2.out() + b2.err());
        JsonNode ra = report(dir.resolve("a.json"));
        assertEquals(ra.toPrettyString(), report(dir.resolve("b.json")).toPrettyString());

        Path evalOut = dir.resolve("eval.json");
        MainTest.Run e = MainTest.run("eval", full.toString(), "--out", evalOut.toString(), "--threads", "1");
        assertEquals(0, e.code(), e.err());
        JsonNode ev = ReportWriter.mapper().readTree(evalOut.toFile());
        assertEquals(ra.get("final").get("test_accuracy").asDouble(), ev.get("test_accuracy").asDouble());
        assertEquals(ra.get("final").get("test_loss").asDouble(), ev.get("test_loss").asDouble());
        // The resumed run's final checkpoint evaluates the same.
        MainTest.Run e2 = MainTest.run("eval", part.toString(), "--threads", "1");
        assertEquals(0, e2.code(), e2.err());
        assertTrue(e2.out().contains("test accuracy " + ra.get("final").get("test_accuracy").asDouble()), e2.out());

        MainTest.Run i = MainTest.run("inspect", full.toString());
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("magic LPCKPT01"), i.out());
        assertTrue(i.out().contains("epoch 2 of 2 (finished)"), i.out());
        assertTrue(i.out().contains("pruned at step"), i.out());
        System.out.println(i.out());
        MainTest.Run again = MainTest.run("train", "--resume", full.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("finished run"), again.err());
    }

    @Test
    void badFilesAndFlagsGiveOneLineErrors() throws Exception {
        Path png = dir.resolve("x.png");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13});
        for (String cmd : new String[] {"eval", "inspect"}) {
            MainTest.Run r = MainTest.run(cmd, png.toString());
            assertEquals(1, r.code(), r.err());
            assertTrue(r.err().contains("bad magic"), r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            MainTest.Run missing = MainTest.run(cmd, dir.resolve("none").toString());
            assertEquals(1, missing.code(), missing.err());
            assertEquals(1, missing.err().strip().lines().count(), missing.err());
        }
        MainTest.Run r = MainTest.run("train", "--resume", png.toString(), "--epochs", "3");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("--epochs cannot be changed when resuming"), r.err());
        MainTest.Run stop = MainTest.run(train("--stop-after-epochs", "1"));
        assertEquals(2, stop.code(), stop.err());
        for (String cmd : new String[] {"eval", "inspect"}) {
            MainTest.Run h = MainTest.run(cmd, "--help");
            assertEquals(0, h.code());
            assertTrue(h.out().contains("FILE"), h.out());
        }
    }
}
