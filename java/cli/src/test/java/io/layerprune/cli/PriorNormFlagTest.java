package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --prior-norm}: an unknown name is a usage error; the chosen norm reaches the report. */
class PriorNormFlagTest {
    @TempDir
    Path dir;

    @Test
    void unknownNameIsAUsageError() {
        MainTest.oneLineError(MainTest.run("train", "--prior-norm", "largest"), 2, "--prior-norm", "current");
    }

    @Test
    void initialNormTrainsAndIsReported() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        Path report = dir.resolve("r.json");
        MainTest.Run r = MainTest.run("train", "--data", TestData.FASHION.toString(), "--train-limit", "512",
                "--test-limit", "128", "--epochs", "1", "--sections", "2", "--width", "16", "--threads", "1",
                "--prior-norm", "initial", "--quiet", "--no-plots", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("initial", ReportWriter.mapper().readTree(report.toFile()).get("config").get("prior_norm").asText());
    }
}
