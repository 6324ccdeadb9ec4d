package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.checkpoint.Checkpoint;
import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.CifarTestData;
import io.layerprune.TestData;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --model-file FILE} (any described architecture) and {@code --model resnet18|resnet34|resnet50}. */
class ArchitectureCliTest {
    @TempDir
    Path dir;

    static final String BOTTLENECK = """
            {"name": "small-resnet50-layout",
             "input": {"channels": 1, "height": 28, "width": 28},
             "stem": {"kind": "conv", "channels": 8, "kernel": 7, "stride": 2, "pool": {"kernel": 3, "stride": 2, "pad": 1}},
             "stages": [{"kind": "bottleneck", "width": 2, "blocks": 2},
                        {"kind": "bottleneck", "width": 4, "blocks": 2, "stride": 2}],
             "head": {"classes": 10}}""";

    @Test
    void trainsAnArchitectureFromAFileThenSavesAndExportsIt() throws Exception {
        Path data = dir.resolve("idx");
        Files.createDirectories(data);
        TestData.writeFolder(data, 64, 16, 28, 28, 10, false);
        Path spec = dir.resolve("arch.json");
        Files.writeString(spec, BOTTLENECK);
        Path report = dir.resolve("r.json"), ckpt = dir.resolve("m.lpckpt"), exported = dir.resolve("m.lpx");
        MainTest.Run r = MainTest.run("train", "--data", data.toString(), "--model-file", spec.toString(), "--epochs",
                "1", "--batch", "16", "--threads", "1", "--report", report.toString(), "--save", ckpt.toString(),
                "--export", exported.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("model: small-resnet50-layout on 1x28x28, 4 gated sections"), r.err());
        JsonNode cfg = ReportWriter.mapper().readTree(report.toFile()).get("config");
        assertEquals("small-resnet50-layout", cfg.get("model").get("type").asText());
        assertEquals(0.1, cfg.get("eta_w").asDouble(), 0);  // the ResNet family's defaults
        Architecture described = Architecture.fromJson(BOTTLENECK);
        try (Model m = Checkpoint.loadModel(ckpt)) {
            assertEquals(described.withSeed(m.spec().seed()), m.spec());
        }
        try (ExportedModel e = ExportedModel.load(exported)) {
            assertEquals(described.toJson(), e.architectureJson());
        }
        // The checkpoint converts to ONNX like any other.
        Path onnx = dir.resolve("m.onnx");
        MainTest.Run x = MainTest.run("export", ckpt.toString(), "--onnx", onnx.toString());
        assertEquals(0, x.code(), x.err());
        assertTrue(Files.size(onnx) > 0);
    }

    @Test
    void resnet18PresetOnCifarImages() throws Exception {
        Path data = dir.resolve("cifar");
        CifarTestData.writeFolder(data);
        Path report = dir.resolve("r.json");
        MainTest.Run r = MainTest.run("train", "--data", data.toString(), "--model", "resnet18", "--epochs", "1",
                "--batch", "8", "--threads", "1", "--train-limit", "16", "--test-limit", "4", "--report",
                report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("model: resnet18 on 3x32x32, 8 gated sections"), r.err());
        assertEquals(8, ReportWriter.mapper().readTree(report.toFile()).get("final").get("sections_total").asInt());
    }

    @Test
    void usageErrors() throws Exception {
        Path spec = dir.resolve("arch.json");
        Files.writeString(spec, BOTTLENECK.replace("\"height\": 28, \"width\": 28", "\"height\": 12, \"width\": 12"));
        Path data = dir.resolve("idx");
        Files.createDirectories(data);
        TestData.writeFolder(data, 16, 4, 28, 28, 10, false);
        // 12x12 images described, 28x28 in the data.
        MainTest.oneLineError(MainTest.run("train", "--data", data.toString(), "--model-file", spec.toString()), 2,
                "--model-file", "144 features", "1x28x28");
        MainTest.oneLineError(MainTest.run("train", "--model", "resnet20", "--model-file", spec.toString()), 2,
                "mutually exclusive");
        Files.writeString(spec, BOTTLENECK.replace("\"bottleneck\", \"width\": 2", "\"bottlenek\", \"width\": 2"));
        MainTest.oneLineError(MainTest.run("train", "--model-file", spec.toString()), 2, "stages[0].kind 'bottlenek'");
        MainTest.oneLineError(MainTest.run("train", "--model-file", dir.resolve("missing.json").toString()), 2,
                "missing.json");
        MainTest.oneLineError(MainTest.run("train", "--model", "resnet101"), 2, "101");
    }
}
