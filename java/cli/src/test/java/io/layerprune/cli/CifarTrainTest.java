package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.CifarTestData;
import io.layerprune.report.ReportWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --data <CIFAR-10 folder>}: detection, the 3x32x32 input shape, the report. */
class CifarTrainTest {
    @TempDir
    Path dir;

    @Test
    void resnet20OnCifar() throws Exception {
        Path data = dir.resolve("my-cifar");
        CifarTestData.writeFolder(data);
        Path report = dir.resolve("out/report.json");
        MainTest.Run r = MainTest.run("train", "--data", data.toString(), "--model", "resnet20", "--epochs", "1",
                "--batch", "8", "--threads", "1", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        int held = (int) Math.round(0.1 * CifarTestData.trainTotal());  // --validation-fraction's default
        assertTrue(r.err().contains("cifar-10, " + (CifarTestData.trainTotal() - held) + " training / " + held
                + " validation / " + CifarTestData.TEST_COUNT + " test images"), r.err());
        assertTrue(r.err().contains("model: resnet20 on 3x32x32, 9 gated W-B-a-W sections"), r.err());
        JsonNode n = ReportWriter.mapper().readTree(report.toFile());
        assertEquals("cifar-10", n.get("dataset").get("name").asText());
        assertEquals(CifarTestData.trainTotal() - held, n.get("dataset").get("train").asInt());
        assertEquals(held, n.get("dataset").get("validation").asInt());
        assertEquals(CifarTestData.TEST_COUNT, n.get("dataset").get("test").asInt());
        assertEquals(9, n.get("final").get("sections_total").asInt());
        assertEquals(3072, n.get("config").get("model").get("input").asLong());
    }

    @Test
    void mlpOnCifarTakes3072Inputs() throws Exception {
        Path data = dir.resolve("c");
        CifarTestData.writeFolder(data);
        Path report = dir.resolve("r.json");
        MainTest.Run r = MainTest.run("train", "--data", data.toString(), "--width", "16", "--sections", "2",
                "--epochs", "1", "--batch", "8", "--threads", "1", "--train-limit", "30", "--test-limit", "5",
                "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("model: 3072 -> 16 stem, 2 gated sections"), r.err());
        JsonNode n = ReportWriter.mapper().readTree(report.toFile());
        assertEquals(3072, n.get("config").get("model").get("input").asLong());
        assertEquals(27, n.get("dataset").get("train").asInt(), "30 less the 3 validation images");
        assertEquals(5, n.get("dataset").get("test").asInt());
    }

    @Test
    void badCifarFileIsAOneLineError() throws Exception {
        Path data = dir.resolve("c");
        CifarTestData.writeFolder(data);
        Files.delete(data.resolve("test_batch.bin"));
        MainTest.Run r = MainTest.run("train", "--data", data.toString(), "--model", "resnet20", "--threads", "1",
                "--report", dir.resolve("r.json").toString());
        MainTest.oneLineError(r, 1, "missing file", "test_batch.bin");
    }
}
