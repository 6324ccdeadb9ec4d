package io.layerprune.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.layerprune.TestData;
import io.layerprune.report.ReportWriter;
import io.layerprune.train.Schedule;
import io.layerprune.train.TrainConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The eta_theta schedule and the eta_W step-schedule flags: TrainConfig, CLI, report. */
class ScheduleFlagsTest {
    @TempDir
    Path dir;

    @Test
    void thetaScheduleDefaultsComeFromTheNativeCore() {
        TrainConfig d = TrainConfig.defaults();
        assertEquals(Schedule.CONSTANT, d.thetaSchedule());
        assertEquals(1000, d.thetaStepEvery());
        assertEquals(0.5, d.thetaStepGamma(), 0);
        TrainConfig c = d.toBuilder().thetaSchedule(Schedule.STEP).thetaStepEvery(50).thetaStepGamma(0.25).build();
        assertEquals(Schedule.STEP, c.thetaSchedule());
        assertEquals(c, c.toBuilder().build());
        assertEquals(50, c.toBuilder().build().thetaStepEvery());
    }

    @Test
    void thetaScheduleIsValidated() {
        TrainConfig.Builder b = TrainConfig.builder();
        assertThrows(IllegalArgumentException.class, () -> b.thetaSchedule(Schedule.COSINE).build());
        assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.builder().thetaSchedule(Schedule.STEP).thetaStepEvery(0).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().thetaStepGamma(0).build());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().thetaStepEvery(-1).build());
        assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.builder().schedule(Schedule.STEP).stepEvery(0).build());
    }

    @Test
    void flagsReachTheReport() throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed");
        Path report = dir.resolve("r.json");
        MainTest.Run r = MainTest.run("train", "--data", TestData.FASHION.toString(), "--train-limit", "1000",
                "--test-limit", "200", "--epochs", "1", "--sections", "2", "--width", "16", "--threads", "1",
                "--theta-schedule", "step", "--theta-step-every", "3", "--theta-step-gamma", "0.5", "--schedule",
                "step", "--step-every", "4", "--step-gamma", "0.2", "--quiet", "--report", report.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode c = ReportWriter.mapper().readTree(report.toFile()).get("config");
        assertEquals("step", c.get("theta_schedule").asText());
        assertEquals(3, c.get("theta_step_every").asLong());
        assertEquals(0.5, c.get("theta_step_gamma").asDouble(), 0);
        assertEquals("step", c.get("schedule").asText());
        assertEquals(4, c.get("step_every").asLong());
        assertEquals(0.2, c.get("step_gamma").asDouble(), 0);
    }

    @Test
    void badFlagsAreUsageErrors() {
        MainTest.oneLineError(MainTest.run("train", "--theta-schedule", "cosine"), 2, "--theta-schedule");
        MainTest.oneLineError(MainTest.run("train", "--theta-schedule", "step", "--theta-step-every", "0"), 2,
                "--theta-step-every");
        MainTest.oneLineError(MainTest.run("train", "--theta-step-gamma", "-1"), 2, "--theta-step-gamma");
        MainTest.oneLineError(MainTest.run("train", "--step-gamma", "0"), 2, "--step-gamma");
    }
}
