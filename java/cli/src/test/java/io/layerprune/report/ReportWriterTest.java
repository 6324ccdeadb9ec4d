package io.layerprune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportWriterTest {
    @TempDir
    Path dir;

    static Report sample() {
        Report.Config cfg = new Report.Config(new Report.ModelSpec("residual-mlp", 784, 64, 2, 10, 1), "two-point",
                0.25, 0.01, null, 6000L, 1e-3, 1, 0.2, 20, 0, 0.02, 0.9, 2, 0, "cosine", 94L, 0, 0.1, "constant", 1000, 0.5,
                0, 0, false, false, 128, 2, 1, 2, 0.05, "evidence", 200.0, 2.0, "per-flop", "initial", "bf16");
        return new Report(Report.SCHEMA, "0.1.0", "2024-01-01T00:00:00Z", cfg,
                new Report.DatasetInfo("fashion-mnist", 6000, 2000),
                List.of(new Report.Section(0, 8192, 0.003, 1.0, null), new Report.Section(1, 8192, 0.0, 0.0, 40L)),
                List.of(new Report.Epoch(1, 47, 0.6, 0.78, 0.5, 0.81, new double[] {1, 0}, new double[] {0.003, 0},
                        1, 60000, 120000, 1e10, 1.5)),
                List.of(new Report.Prune(1, 40, 1, false)),
                new Report.Final(0.81, 0.81, 0.5, 0.5, 1, 2, 60000, 68000, 120000, 136000, 1e10, 1.2e10, 0.83, 1.5,
                        8000.0, 94, 12032, 1e8, 0.2, 0.8, 0.8, 0.55, 0.55, false));
    }

    @Test
    void writesSnakeCaseJsonAtomically() throws IOException {
        Path file = dir.resolve("runs/x/report.json");
        ReportWriter.write(sample(), file);
        ReportWriter.write(sample(), file); // replaces
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file), s.toList(), "no temporary file left behind");
        }
        JsonNode n = ReportWriter.mapper().readTree(file.toFile());
        assertEquals(Report.SCHEMA, n.get("schema").asText());
        for (String key : List.of("config", "dataset", "sections", "epochs", "final")) {
            assertTrue(n.has(key), key);
        }
        JsonNode cfg = n.get("config");
        assertEquals("two-point", cfg.get("estimator").asText());
        assertEquals(0.25, cfg.get("estimator_fraction").asDouble());
        assertTrue(cfg.get("tau").isNull());
        assertEquals(64, cfg.get("model").get("width").asInt());
        assertEquals(784, cfg.get("model").get("input").asInt());
        assertEquals(2, cfg.get("threads").asInt());
        assertEquals(128, cfg.get("batch_size").asInt());
        assertEquals("per-flop", cfg.get("prior_scaling").asText());
        assertEquals("initial", cfg.get("prior_norm").asText());
        assertEquals("bf16", cfg.get("precision").asText());
        assertEquals(6000, n.get("dataset").get("train").asInt());
        JsonNode s0 = n.get("sections").get(0);
        assertTrue(s0.get("pruned_at_step").isNull());
        assertEquals(1.0, s0.get("theta_final").asDouble());
        assertEquals(40, n.get("sections").get(1).get("pruned_at_step").asInt());
        JsonNode e = n.get("epochs").get(0);
        assertFalse(e.has("test_accuracy_expected"), "schema 2: per-epoch numbers are the validation set's");
        for (String key : List.of("epoch", "step", "loss", "train_accuracy", "validation_accuracy_expected", "theta", "tau",
                "live_sections", "params", "flops_per_sample", "cumulative_training_flops", "seconds")) {
            assertTrue(e.has(key), key);
        }
        JsonNode f = n.get("final");
        for (String key : List.of("test_accuracy", "test_accuracy_expected", "validation_accuracy", "stopped",
                "sections_kept", "sections_total",
                "params", "params_initial", "flops_per_sample", "flops_per_sample_initial",
                "cumulative_training_flops", "cumulative_training_flops_unpruned", "seconds", "samples_per_second")) {
            assertTrue(f.has(key), key);
        }
        assertFalse(f.has("finalResult") || n.has("final_result") || n.has("finalResult"));
        assertTrue(n.get("prune_events").get(0).get("final").isBoolean());
    }

    @Test
    void unwritableTargetIsAnError() throws IOException {
        Path blocker = dir.resolve("file");
        Files.writeString(blocker, "x");
        java.io.UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(
                java.io.UncheckedIOException.class, () -> ReportWriter.write(sample(), blocker.resolve("r.json")));
        assertTrue(e.getMessage().contains("could not write the report"), e.getMessage());
    }
}
