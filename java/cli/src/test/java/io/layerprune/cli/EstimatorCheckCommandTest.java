package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.TestData;
import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.report.ReportWriter;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.Estimator;
import io.layerprune.train.EstimatorCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code layerprune estimator-check} and {@link Model#checkEstimator}. */
class EstimatorCheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void printsEveryEstimatorAndWritesJson() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        Path out = dir.resolve("check/out.json");
        MainTest.Run r = MainTest.run("estimator-check", "--data", TestData.FASHION.toString(), "--sections", "3",
                "--width", "16", "--rows", "64", "--samples", "400", "--train-limit", "1000", "--theta", "0.3,0.5,0.8",
                "--threads", "1", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        for (Estimator e : Estimator.values()) {
            assertTrue(r.out().contains(e.cliName()), r.out());
        }
        assertTrue(r.out().contains("within 4 SE"), r.out());
        assertTrue(r.out().contains("max abs. rel. bias"), r.out());
        assertTrue(Files.exists(out));
        JsonNode n = ReportWriter.mapper().readTree(out.toFile());
        assertEquals(EstimatorCheckCommand.SCHEMA, n.get("schema").asText());
        assertEquals(Estimator.values().length, n.get("estimators").size());
        for (JsonNode e : n.get("estimators")) {
            assertEquals(3, e.get("sections").size());
            for (JsonNode s : e.get("sections")) {
                double exact = s.get("exact").asDouble();
                double mean = s.get("mean").asDouble();
                assertEquals(mean - exact, s.get("bias").asDouble(), 1e-12);
                assertTrue(s.get("stddev").asDouble() >= 0);
                assertEquals(s.get("stddev").asDouble() / Math.sqrt(400), s.get("stderr").asDouble(), 1e-12);
                assertTrue(s.get("prior").asDouble() > 0, "the prior part is positive: " + s);
            }
            String name = e.get("estimator").asText();
            if (name.equals("two-point") || name.equals("budgeted")) {
                for (JsonNode s : e.get("sections")) {
                    assertTrue(s.get("within_4se").asBoolean(), name + " is unbiased: " + s);
                }
            }
        }
        assertEquals(0.3, n.get("settings").get("theta").get(0).asDouble(), 0);
    }

    @Test
    void oneEstimatorOnly() {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        MainTest.Run r = MainTest.run("estimator-check", "--data", TestData.FASHION.toString(), "--sections", "2",
                "--width", "8", "--rows", "32", "--samples", "50", "--train-limit", "500", "--train-epochs", "0",
                "--estimator", "linearized", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| linearized |"), r.out());
        assertTrue(!r.out().contains("| two-point |"), r.out());
    }

    @Test
    void usageErrors() {
        MainTest.oneLineError(MainTest.run("estimator-check", "--sections", "17"), 2, "--sections", "16");
        MainTest.oneLineError(MainTest.run("estimator-check", "--sections", "3", "--theta", "0.1,0.2"), 2, "--theta");
        MainTest.oneLineError(MainTest.run("estimator-check", "--theta", "1.5"), 2, "--theta");
        MainTest.oneLineError(MainTest.run("estimator-check", "--samples", "1"), 2, "--samples");
        MainTest.oneLineError(MainTest.run("estimator-check", "--estimator", "nope"), 2, "nope");
    }

    @Test
    void apiAgreesWithItselfAndValidates() {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        Layerprune.setThreads(1); // tiny work: one thread avoids barrier waits on a busy shared machine
        try (IdxDataset.Splits s = IdxDataset.load(TestData.FASHION, 300, 10, 10);
                Model m = ResidualMlp.builder().inputSize(784).width(8).sections(2).classes(10).seed(3).build()) {
            m.setTheta(0, 0.4);
            m.setTheta(1, 0.6);
            EstimatorCheck a = EstimatorCheck.run(m, s.train(), 100, Estimator.TWO_POINT, 1.0, 300, 5, 0.01, 1e-3, 300);
            EstimatorCheck b = EstimatorCheck.run(m, s.train(), 100, Estimator.TWO_POINT, 1.0, 300, 5, 0.01, 1e-3, 300);
            assertEquals(a, b, "same seed, same numbers");
            assertEquals(2, a.sections());
            assertTrue(Double.isFinite(a.expectedLoss()) && a.expectedLoss() > 0);
            for (int l = 0; l < 2; l++) {
                assertTrue(a.withinStandardErrors(l, 4), a.toString());
            }
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> EstimatorCheck.run(m, s.train(), 301, Estimator.TWO_POINT, 1.0, 10, 1, 0.01, 1e-3, 300));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> EstimatorCheck.run(m, s.train(), 10, Estimator.TWO_POINT, 0, 10, 1, 0.01, 1e-3, 300));
            org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> EstimatorCheck.run(m, s.train(), 10, Estimator.TWO_POINT, 1, 1, 1, 0.01, 1e-3, 300));
        }
    }
}
