package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the picocli entry point in-process and checks exit codes, output and the report. */
class MainTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {}

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e, false);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static void oneLineError(Run r, int code, String... fragments) {
        assertEquals(code, r.code(), r.err());
        List<String> lines = r.err().strip().lines().toList();
        assertEquals(1, lines.size(), "one line expected: " + r.err());
        assertTrue(lines.get(0).startsWith("layerprune: error: "), lines.get(0));
        for (String f : fragments) {
            assertTrue(lines.get(0).contains(f), "'" + f + "' missing in: " + lines.get(0));
        }
        assertTrue(!r.err().contains("\tat "), "no stack trace expected");
    }

    @Test
    void trainWritesAValidReport() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed: skipping the CLI training test");
        Path report = dir.resolve("out/report.json");
        Run r = run("train", "--data", TestData.FASHION.toString(), "--train-limit", "2000", "--test-limit", "500",
                "--width", "32", "--sections", "3", "--epochs", "1", "--batch", "64", "--threads", "2", "--tau",
                "0.02", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("report: " + report), r.out());
        assertTrue(r.out().contains("sections kept"), r.out());
        assertTrue(r.err().contains("epoch 1/1"), r.err());
        assertTrue(Files.exists(report));

        JsonNode n = ReportWriter.mapper().readTree(report.toFile());
        assertEquals(io.layerprune.report.Report.SCHEMA, n.get("schema").asText());
        JsonNode cfg = n.get("config");
        assertEquals(32, cfg.get("model").get("width").asInt());
        assertEquals(3, cfg.get("model").get("sections").asInt());
        assertEquals("budgeted", cfg.get("estimator").asText());
        assertEquals(0.02, cfg.get("tau").asDouble(), 0);
        // lambda actually used: 2 N tau / max n_l, N the training images without the 10 % held out
        assertEquals(2.0 * 60000 * 0.02 / (2 * 32 * 32), cfg.get("lambda").asDouble(), 1e-12);  // the prior's N: the family defaults' 60,000 reference size
        assertEquals(2, cfg.get("threads").asInt());
        assertEquals(64, cfg.get("batch_size").asInt());
        assertEquals(1, cfg.get("epochs").asInt());
        assertEquals(1, cfg.get("seed").asInt());
        // --validation-fraction 0.1 (the default): 200 of the 2000 training images held out
        assertEquals(1800, n.get("dataset").get("train").asInt());
        assertEquals(200, n.get("dataset").get("validation").asInt());
        assertEquals(500, n.get("dataset").get("test").asInt());
        JsonNode e0 = n.get("epochs").get(0);
        assertTrue(e0.get("validation_accuracy_expected").isNumber(), "per-epoch numbers of the validation set");
        assertTrue(!e0.has("test_accuracy_expected"), "no per-epoch test numbers");
        assertEquals("fashion-mnist", n.get("dataset").get("name").asText());
        assertEquals(3, n.get("sections").size());
        assertEquals(1, n.get("epochs").size());
        assertEquals(3, n.get("epochs").get(0).get("theta").size());
        JsonNode f = n.get("final");
        double acc = f.get("test_accuracy").asDouble();
        assertTrue(acc > 0.5 && acc <= 1, "accuracy " + acc);
        assertEquals(3, f.get("sections_total").asInt());
        assertEquals(1800 / 64, f.get("steps").asInt());
        assertTrue(f.get("validation_accuracy").isNumber());
        assertTrue(r.err().contains("1800 training / 200 validation / 500 test images"), r.err());
        int kept = f.get("sections_kept").asInt();
        int prunedInSections = 0;
        for (JsonNode s : n.get("sections")) {
            if (!s.get("pruned_at_step").isNull()) {
                prunedInSections++;
            }
        }
        assertEquals(3 - kept, prunedInSections);
    }

    static Run runTerminal(boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(args, o, e, terminal);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void quietPrintsOnlyTheReportPathAndTerminalRedrawsInPlace() {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed: skipping");
        String[] common = {"train", "--data", TestData.FASHION.toString(), "--train-limit", "1024", "--test-limit",
            "200", "--width", "16", "--sections", "2", "--epochs", "1", "--batch", "64", "--threads", "2",
            "--validation-fraction", "0"};

        Path quietReport = dir.resolve("quiet.json");
        List<String> args = new java.util.ArrayList<>(List.of(common));
        args.addAll(List.of("--quiet", "--report", quietReport.toString()));
        Run quiet = runTerminal(false, args.toArray(String[]::new));
        assertEquals(0, quiet.code(), quiet.err());
        assertEquals("report: " + quietReport, quiet.out().strip());
        assertEquals("", quiet.err());
        assertTrue(Files.exists(quietReport));

        args = new java.util.ArrayList<>(List.of(common));
        args.addAll(List.of("--report", dir.resolve("tty.json").toString()));
        Run tty = runTerminal(true, args.toArray(String[]::new));
        assertEquals(0, tty.code(), tty.err());
        assertTrue(tty.err().contains("\r"), "progress is redrawn with carriage returns");
        assertTrue(tty.err().contains("epoch 1/1  step 16"), tty.err());

        Run plain = runTerminal(false, args.toArray(String[]::new));
        assertTrue(!plain.err().contains("\r"), "no carriage returns when stderr is not a terminal");
        long progressLines = plain.err().lines().filter(l -> l.startsWith("epoch 1/1 [")).count();
        assertTrue(progressLines >= 5 && progressLines <= 11, "about one line per 10%: " + progressLines);
    }

    @Test
    void convolutionalModelsGetTheirWeightDecayUnlessOneIsGiven() throws Exception {
        Path data = Files.createDirectories(dir.resolve("idx"));
        TestData.writeFolder(data, 64, 16, 28, 28, 10, false);
        for (String[] extra : new String[][] {{}, {"--weight-decay", "0.001"}}) {
            Path report = dir.resolve("wd" + extra.length + ".json");
            java.util.List<String> args = new java.util.ArrayList<>(java.util.List.of("train", "--data", data.toString(),
                    "--model", "resnet20", "--augment", "--epochs", "1", "--batch", "16", "--threads", "1",
                    "--quiet", "--report", report.toString()));
            args.addAll(java.util.List.of(extra));
            Run r = run(args.toArray(new String[0]));
            assertEquals(0, r.code(), r.err());
            JsonNode cfg = ReportWriter.mapper().readTree(report.toFile()).get("config");
            assertEquals(extra.length == 0 ? 5e-4 : 1e-3, cfg.get("weight_decay").asDouble(), 0);
            assertEquals(4, cfg.get("augment_pad").asInt());
            assertEquals("resnet20", cfg.get("model").get("type").asText());
        }
        // The dense model keeps the native default (0) and refuses augmentation.
        oneLineError(run("train", "--data", data.toString(), "--augment"), 2, "--augment");
    }

    @Test
    void widthZeroIsAUsageError() {
        oneLineError(run("train", "--width", "0"), 2, "--width", "> 0", "got 0");
    }

    @Test
    void missingDataFolderIsARuntimeError() {
        oneLineError(run("train", "--data", "/nonexistent/fashion"), 1, "/nonexistent/fashion", "no such directory");
    }

    @Test
    void picocliUsageErrorsAreOneLineWithAHint() {
        oneLineError(run("train", "--widht", "3"), 2, "--widht", "--help");
        oneLineError(run("train", "--width", "abc"), 2, "--width", "abc");
        oneLineError(run("train", "--estimator", "magic"), 2, "magic", "two-point");
        oneLineError(run("train", "--lambda", "0.1", "--tau", "0.1"), 2, "--lambda", "--tau");
        oneLineError(run("frobnicate"), 2, "frobnicate");
        oneLineError(run(), 2, "command");
    }

    @Test
    void invalidHyperParameterNamesTheFlag() {
        oneLineError(run("train", "--lr", "NaN"), 2, "--lr", "NaN");
        oneLineError(run("train", "--estimator-fraction", "2"), 2, "--estimator-fraction");
    }

    @Test
    void helpShowsNativeDefaults() {
        Run r = run("train", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("--lambda"), r.out());
        assertTrue(r.out().contains("(default: 0.02)"), r.out());  // --lambda: the native MLP default since 7756110
        assertTrue(r.out().contains("(default: budgeted)"), r.out());
        assertTrue(r.out().contains("/usr/share/datasets/fashion-mnist"), r.out());
        assertTrue(r.out().contains("--no-gates"), r.out());
        assertTrue(!r.out().contains("default: null"), r.out());
    }
}
