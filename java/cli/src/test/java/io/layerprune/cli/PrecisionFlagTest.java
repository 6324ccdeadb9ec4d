package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.ExportTestModels;
import io.layerprune.TestData;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.Precision;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.report.ReportWriter;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --precision} and {@code bench-infer --precision}: the report and the JSON record it, a
 * bad name is a usage error, and on a CPU without bf16 the core's refusal is a one-line error (exit 1).
 */
class PrecisionFlagTest {
    @TempDir
    Path dir;

    private static final Optional<String> BF16_UNSUPPORTED = Precision.BF16.unsupportedReason();

    @Test
    void trainBf16RecordsThePrecisionInTheReport() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        Path report = dir.resolve("r.json");
        MainTest.Run r = MainTest.run("train", "--data", TestData.FASHION.toString(), "--train-limit", "2000",
                "--test-limit", "200", "--epochs", "1", "--sections", "2", "--width", "16", "--batch", "32", "--lr", "0.1",
                "--threads", "1", "--no-plots", "--precision", "bf16", "--report", report.toString());
        if (BF16_UNSUPPORTED.isPresent()) {
            // The core's refusal, one line, before any training.
            MainTest.oneLineError(r, 1, "bf16");
            return;
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("; precision bf16"), "the startup line names the precision: " + r.err());
        JsonNode c = ReportWriter.mapper().readTree(report.toFile()).get("config");
        assertEquals("bf16", c.get("precision").asText());
        JsonNode f = ReportWriter.mapper().readTree(report.toFile()).get("final");
        assertTrue(f.get("test_accuracy").asDouble() > 0.4, "trains: " + f);  // 10 classes: chance is 0.1
    }

    @Test
    void precisionDefaultsToTheCoresAndBadNamesAreUsageErrors() {
        MainTest.Run help = MainTest.run("train", "--help");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("--precision=NAME"), help.out());
        String line = help.out().substring(help.out().indexOf("--precision=NAME"));
        assertTrue(line.replaceAll("\\s+", " ").contains("(default: fp32)"), line);
        MainTest.oneLineError(MainTest.run("train", "--precision", "fp16"), 2, "--precision", "fp16", "fp32, bf16");
        MainTest.oneLineError(MainTest.run("bench-infer", dir.resolve("any.lpx").toString(), "--precision", "fp16"),
                2, "--precision", "fp16");
        MainTest.Run benchHelp = MainTest.run("bench-infer", "--help");
        assertTrue(benchHelp.out().contains("--precision=NAME"), benchHelp.out());
    }

    @Test
    void benchInferMeasuresEveryNetworkInTheGivenPrecision() throws Exception {
        Path exported = dir.resolve("mlp.lpx");
        Path ckpt = dir.resolve("mlp.lpckpt");
        try (Model model = ExportTestModels.trained(
                ResidualMlp.builder().inputSize(16).width(24).sections(4).classes(3).seed(3).spec(),
                0.9, 0.2, 0.1, 0.8)) {
            ExportedModel.export(model, exported);
            model.save(ckpt);
        }
        for (Path file : new Path[] {exported, ckpt}) {
            Path json = dir.resolve(file.getFileName() + ".json");
            MainTest.Run r = MainTest.run("bench-infer", file.toString(), "--runs", "2", "--inner", "1", "--warmup",
                    "0", "--batch", "4", "--precision", "bf16", "--json", json.toString());
            if (BF16_UNSUPPORTED.isPresent()) {
                MainTest.oneLineError(r, 1, "bf16");
                continue;
            }
            assertEquals(0, r.code(), r.err());
            assertTrue(r.out().contains("precision bf16"), r.out());
            JsonNode root = ReportWriter.mapper().readTree(json.toFile());
            assertEquals("bf16", root.get("precision").asText());
            assertEquals(file == ckpt ? 3 : 2, root.get("networks").size());
        }
        Path json = dir.resolve("fp32.json");
        MainTest.Run r = MainTest.run("bench-infer", exported.toString(), "--runs", "2", "--inner", "1", "--warmup",
                "0", "--batch", "4", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("precision fp32"), r.out());
        assertEquals("fp32", ReportWriter.mapper().readTree(json.toFile()).get("precision").asText());
    }
}
