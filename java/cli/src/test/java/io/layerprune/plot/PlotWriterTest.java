package io.layerprune.plot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.LayerpruneException;
import io.layerprune.report.Report;
import io.layerprune.report.ReportWriter;
import io.layerprune.report.SmallRun;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plots of real (small) runs: the files, their size, and one-line errors for bad input. */
class PlotWriterTest {
    @TempDir
    Path dir;

    /** A readable PNG of the documented size that is not blank (a chart has many colours). */
    static void assertPng(Path file) throws IOException {
        assertTrue(Files.size(file) > 5_000, file + " is only " + Files.size(file) + " bytes");
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(PlotWriter.WIDTH, img.getWidth(), file.toString());
        assertEquals(PlotWriter.HEIGHT, img.getHeight(), file.toString());
        Set<Integer> colours = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 3) {
            for (int x = 0; x < img.getWidth(); x += 3) {
                colours.add(img.getRGB(x, y));
            }
        }
        assertTrue(colours.size() > 20, file + " has only " + colours.size() + " colours");
    }

    @Test
    void plotsOneReport() throws IOException {
        Path report = dir.resolve("run/report.json");
        SmallRun.train(report, 2, 0.5, 3, 2000);
        Path out = dir.resolve("plots");
        List<Path> files = PlotWriter.plot(List.of(report), out);
        assertEquals(List.of(out.resolve("report-theta.png"), out.resolve("report-params.png"),
                out.resolve("report-training-flops.png"), out.resolve("report-survivors.png")), files);
        for (Path f : files) {
            assertPng(f);
        }
        RunData data = RunData.load(report);
        assertEquals("steps CSV", data.source());
        assertEquals(SmallRun.SECTIONS, data.sections());
        assertEquals(51, data.points(), "step 0 and 50 steps");
    }

    @Test
    void plotsSeveralReportsWithOneHistogram() throws IOException {
        Path a = dir.resolve("a/report.json");
        Path b = dir.resolve("b/report.json");
        SmallRun.train(a, 1, 0.5, 1, 2000);
        SmallRun.train(b, 1, 0.5, 2, 2000);
        Path out = dir.resolve("plots");
        List<Path> files = PlotWriter.plot(List.of(a, b), out);
        assertEquals(7, files.size(), files.toString());
        assertTrue(files.contains(out.resolve("a-report-theta.png")), files.toString());
        assertTrue(files.contains(out.resolve("b-report-training-flops.png")), files.toString());
        assertEquals(out.resolve("survivors.png"), files.get(files.size() - 1));
        for (Path f : files) {
            assertPng(f);
        }
    }

    @Test
    void labelsStayUnique() {
        assertEquals(List.of("x", "y"), PlotWriter.labels(List.of(Path.of("d/x.json"), Path.of("d/y.json"))));
        assertEquals(List.of("d-r", "e-r"), PlotWriter.labels(List.of(Path.of("d/r.json"), Path.of("e/r.json"))));
        assertEquals(List.of("d-r", "d-r-2"), PlotWriter.labels(List.of(Path.of("d/r.json"), Path.of("d/r.json"))));
    }

    @Test
    void withoutTheCsvTheEpochsAreUsed() throws IOException {
        Path report = dir.resolve("report.json");
        SmallRun.Result run = SmallRun.train(report, 2, 0.5, 3, 2000);
        Files.delete(run.csv());
        RunData data = RunData.load(report);
        assertEquals("epochs", data.source());
        assertEquals(3, data.points());  // the start of training, then the 2 epochs
        assertEquals(0.0, data.steps()[0], 0);
        assertEquals(0.0, data.flops()[0], 0);
        assertEquals(run.training().cumulativeTrainingFlops(), data.flops()[2], 0);
        for (Path f : PlotWriter.plot(List.of(report), dir.resolve("p"))) {
            assertPng(f);
        }
    }

    @Test
    void badInputGivesOneLineErrors() throws IOException {
        Path missing = dir.resolve("missing.json");
        assertOneLine(assertThrows(LayerpruneException.class, () -> PlotWriter.plot(List.of(missing), dir)),
                missing.toString(), "no such file");

        Path text = dir.resolve("notes.json");
        Files.writeString(text, "this is not json\n");
        assertOneLine(assertThrows(LayerpruneException.class, () -> PlotWriter.plot(List.of(text), dir)),
                text.toString(), "not a layerprune report");

        Path other = dir.resolve("other.json");
        Files.writeString(other, "{\"name\": \"package.json\", \"version\": \"1.0\"}\n");
        assertOneLine(assertThrows(LayerpruneException.class, () -> PlotWriter.plot(List.of(other), dir)),
                other.toString(), "not a layerprune report");

        // A run interrupted before its first epoch: a report with no epochs and no steps CSV.
        Path empty = dir.resolve("empty/report.json");
        SmallRun.Result run = SmallRun.train(dir.resolve("full/report.json"), 1, 0.5, 3, 2000);
        Report r = run.collected();
        ReportWriter.write(new Report(r.schema(), r.version(), r.created(), r.config(), r.dataset(), List.of(),
                List.of(), List.of(), null), empty);
        assertOneLine(assertThrows(LayerpruneException.class, () -> PlotWriter.plot(List.of(empty), dir)),
                empty.toString(), "no training steps");

        // Nothing was written for the bad reports.
        try (var s = Files.list(dir)) {
            assertFalse(s.anyMatch(p -> p.toString().endsWith(".png")));
        }
    }

    private static void assertOneLine(LayerpruneException e, String... fragments) {
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        for (String f : fragments) {
            assertTrue(m.contains(f), "'" + f + "' missing in: " + m);
        }
    }
}
