package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.ExportTestModels;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export} and {@code bench-infer} on a small exported MLP: files, output, JSON, errors. */
class ExportCommandTest {
    @TempDir
    Path dir;

    private Path exportedMlp() {
        Path file = dir.resolve("mlp.lpx");
        try (Model model = ExportTestModels.trained(
                ResidualMlp.builder().inputSize(16).width(24).sections(4).classes(3).seed(3).spec(),
                0.9, 0.2, 0.1, 0.8)) {
            ExportedModel.export(model, file);
        }
        return file;
    }

    @Test
    void exportRewritesAndConvertsToOnnx() throws Exception {
        Path in = exportedMlp();
        Path out = dir.resolve("again.lpx");
        Path onnx = dir.resolve("mlp.onnx");
        MainTest.Run r = MainTest.run("export", in.toString(), "--out", out.toString(), "--onnx", onnx.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 of 4 sections kept"), r.out());
        assertTrue(Files.size(onnx) > 0);
        try (ExportedModel a = ExportedModel.load(in); ExportedModel b = ExportedModel.load(out)) {
            float[] x = ExportTestModels.batch(3, 16, 1);
            assertEquals(java.util.Arrays.toString(a.predict(x, 3)), java.util.Arrays.toString(b.predict(x, 3)));
        }
    }

    @Test
    void exportOfACheckpointPredictsLikeItsModelAndIsSmaller() throws Exception {
        Path ckpt = dir.resolve("run.lpckpt");
        Path out = dir.resolve("run.lpx");
        float[] x = ExportTestModels.batch(5, 16, 2);
        float[] want;
        try (Model model = ExportTestModels.trained(
                ResidualMlp.builder().inputSize(16).width(24).sections(4).classes(3).seed(3).spec(),
                0.9, 0.2, 0.1, 0.8)) {
            model.save(ckpt);
            want = model.predict(x, 5, io.layerprune.EvalMode.DETERMINISTIC);
        }
        MainTest.Run r = MainTest.run("export", ckpt.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        try (ExportedModel e = ExportedModel.load(out)) {
            assertTrue(ExportTestModels.relativeError(e.predict(x, 5), want) < 1e-5);
        }
        assertTrue(Files.size(out) < Files.size(ckpt), Files.size(out) + " vs " + Files.size(ckpt));
        Path json = dir.resolve("bench-ckpt.json");
        r = MainTest.run("bench-infer", ckpt.toString(), "--runs", "2", "--inner", "1", "--warmup", "0", "--batch",
                "4", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, ReportWriter.mapper().readTree(json.toFile()).get("networks").size());  // + checkpoint model
    }

    @Test
    void benchInferPrintsATableAndJson() throws Exception {
        Path json = dir.resolve("bench.json");
        MainTest.Run r = MainTest.run("bench-infer", exportedMlp().toString(), "--runs", "3", "--inner", "2",
                "--warmup", "1", "--batch", "8", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("original (unpruned)") && r.out().contains("exported"), r.out());
        JsonNode root = ReportWriter.mapper().readTree(json.toFile());
        assertEquals(BenchInferCommand.SCHEMA, root.get("schema").asText());
        assertEquals(2, root.get("networks").size());
        // The exported network holds the stem, 2 of 4 section bodies and the head.
        assertTrue(root.get("networks").get(1).get("params").asLong() < root.get("networks").get(0).get("params").asLong());
        assertTrue(root.get("networks").get(1).get("latency_batch1_ms_median").asDouble() > 0);
    }

    @Test
    void errorsAreOneLineWithExitCodes() throws Exception {
        Path missing = dir.resolve("missing.lpx");
        MainTest.oneLineError(MainTest.run("export", missing.toString(), "--out", dir.resolve("x").toString()), 1,
                "does not exist");
        MainTest.oneLineError(MainTest.run("export", exportedMlp().toString()), 2, "--out");
        Path foreign = dir.resolve("foreign.bin");
        Files.writeString(foreign, "hello, world");
        MainTest.oneLineError(MainTest.run("bench-infer", foreign.toString()), 1, "neither");
        MainTest.oneLineError(MainTest.run("bench-infer", exportedMlp().toString(), "--runs", "0"), 2, "--runs");
    }
}
