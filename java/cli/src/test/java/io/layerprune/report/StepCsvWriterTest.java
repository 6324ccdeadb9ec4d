package io.layerprune.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.LayerpruneException;
import io.layerprune.train.PruneEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-step CSV of a real (small) run: which rows, and that its numbers agree with the run's. */
class StepCsvWriterTest {
    @TempDir
    Path dir;

    @Test
    void csvLivesBesideTheReport() {
        assertEquals(Path.of("runs/x/report.steps.csv"), StepCsv.pathFor(Path.of("runs/x/report.json")));
        assertEquals(Path.of("a/run1.steps.csv"), StepCsv.pathFor(Path.of("a/run1.json")));
        assertEquals(Path.of("out.steps.csv"), StepCsv.pathFor(Path.of("out")));
    }

    @Test
    void shortRunGetsEveryStepAndAgreesWithTheRun() {
        SmallRun.Result run = SmallRun.train(dir.resolve("report.json"), 2, 0.5, 3, StepCsvWriter.DEFAULT_MAX_ROWS);
        long total = run.training().steps();
        assertEquals(2L * SmallRun.SAMPLES / SmallRun.BATCH, total);
        assertEquals(1, run.csvStride());
        StepCsv.Table t = StepCsv.read(run.csv());
        assertEquals(SmallRun.SECTIONS, t.sections());
        assertEquals(total + 1, t.rows(), "step 0 and every step");
        double[] step = t.column("step");
        for (int i = 0; i < t.rows(); i++) {
            assertEquals(i, step[i], 0);
        }
        assertTrue(Double.isNaN(t.column("loss")[0]), "step 0 has no loss");
        assertEquals(run.training().paramsInitial(), t.column("params")[0], 0);
        assertEquals(0, t.column("cumulative_training_flops")[0], 0);

        int last = t.rows() - 1;
        // Double.toString round-trips, so the last row equals the run's totals exactly.
        assertEquals(run.training().cumulativeTrainingFlops(), t.column("cumulative_training_flops")[last], 0);
        assertEquals(run.training().cumulativeTrainingFlopsUnpruned(),
                t.column("cumulative_training_flops_unpruned")[last], 0);
        Report.Epoch lastEpoch = run.collected().epochs().get(run.collected().epochs().size() - 1);
        assertEquals(lastEpoch.params(), t.column("params")[last], 0);
        for (int s = 0; s < SmallRun.SECTIONS; s++) {
            assertEquals(lastEpoch.theta()[s], t.theta(s)[last], 0, "theta of section " + s);
            assertEquals(lastEpoch.tau()[s], t.column("tau_" + s)[last], 0, "tau of section " + s);
        }
        // The report's epochs now carry the unpruned equivalent too (summed from the steps).
        assertEquals(run.training().cumulativeTrainingFlopsUnpruned(), lastEpoch.cumulativeTrainingFlopsUnpruned(),
                1e-9 * run.training().cumulativeTrainingFlopsUnpruned());

        double[] params = t.column("params");
        double[] flops = t.column("cumulative_training_flops");
        double[] live = t.column("live_sections");
        double[] pruned = t.column("pruned_sections");
        for (int i = 1; i < t.rows(); i++) {
            assertTrue(params[i] <= params[i - 1], "params never grow");
            assertTrue(flops[i] > flops[i - 1], "cumulative FLOPs grow every step");
            assertEquals(SmallRun.SECTIONS, live[i] + pruned[i], 0);
            assertTrue(t.column("eta_w")[i] > 0);
            for (int s = 0; s < SmallRun.SECTIONS; s++) {
                assertTrue(t.theta(s)[i] >= 0 && t.theta(s)[i] <= 1, "theta in [0, 1]");
            }
        }
        long prunedDuringTraining = run.training().pruneEvents().stream().filter(p -> !p.atFinish()).count();
        assertTrue(prunedDuringTraining > 0, "lambda 0.5 prunes during this run (else the test checks too little)");
        assertEquals(prunedDuringTraining, pruned[last], 0);
    }

    @Test
    void thetaAccessorAgreesWithTheSectionSnapshot() {
        io.layerprune.runtime.Layerprune.setThreads(1);
        try (io.layerprune.model.Model m = io.layerprune.model.zoo.ResidualMlp.builder().inputSize(8).width(8).sections(3).classes(2)
                .seed(5).build()) {
            m.setTheta(1, 0.375);
            for (int i = 0; i < 3; i++) {
                assertEquals(m.section(i).theta(), m.theta(i), 0);
            }
            assertEquals(0.375, m.theta(1), 0);
            assertThrows(IndexOutOfBoundsException.class, () -> m.theta(3));
        }
    }

    @Test
    void longRunIsSampledWithPruningStepsAndEpochEndsKept() {
        int maxRows = 7;
        SmallRun.Result run = SmallRun.train(dir.resolve("r.json"), 2, 0.5, 3, maxRows);
        long total = run.training().steps(); // 50
        long stride = (total + maxRows - 1) / maxRows;
        assertEquals(stride, run.csvStride());
        TreeSet<Long> expected = new TreeSet<>();
        expected.add(0L);
        for (long s = stride; s <= total; s += stride) {
            expected.add(s);
        }
        long perEpoch = SmallRun.SAMPLES / SmallRun.BATCH;
        expected.add(perEpoch);
        expected.add(2 * perEpoch);
        for (PruneEvent p : run.training().pruneEvents()) {
            if (!p.atFinish()) {
                expected.add(p.step());
            }
        }
        StepCsv.Table t = StepCsv.read(run.csv());
        List<Long> got = new ArrayList<>();
        for (double s : t.column("step")) {
            got.add((long) s);
        }
        assertEquals(new ArrayList<>(expected), got);
        assertTrue(t.rows() <= maxRows + 2 + SmallRun.SECTIONS + 1, "documented bound");
    }

    @Test
    void readerRejectsForeignFiles() throws Exception {
        Path notCsv = dir.resolve("x.steps.csv");
        Files.writeString(notCsv, "a,b,c\n1,2,3\n");
        LayerpruneException e = assertThrows(LayerpruneException.class, () -> StepCsv.read(notCsv));
        assertTrue(e.getMessage().contains("not a layerprune steps CSV"), e.getMessage());
        LayerpruneException missing = assertThrows(LayerpruneException.class,
                () -> StepCsv.read(dir.resolve("none.csv")));
        assertTrue(missing.getMessage().contains("no such file"), missing.getMessage());
        Path ragged = dir.resolve("y.steps.csv");
        Files.writeString(ragged, String.join(",", StepCsv.header(1)) + "\n1,2\n");
        assertFalse(assertThrows(LayerpruneException.class, () -> StepCsv.read(ragged)).getMessage().contains("\n"));
    }

    @Test
    void reportReadsBackWithUnknownKeysIgnored() throws Exception {
        SmallRun.Result run = SmallRun.train(dir.resolve("report.json"), 1, 0.5, 4, 100);
        String json = Files.readString(run.report()).replaceFirst("\\{", "{\n  \"added_by_a_later_version\": {\"x\": 1},");
        Files.writeString(run.report(), json);
        Report r = ReportReader.read(run.report());
        assertEquals(run.collected().finalResult(), r.finalResult());
        assertEquals(run.collected().sections(), r.sections());
        assertEquals(run.collected().epochs().get(0).cumulativeTrainingFlopsUnpruned(),
                r.epochs().get(0).cumulativeTrainingFlopsUnpruned());
        // A report written before the field existed reads it as null.
        Files.writeString(run.report(), json.replaceAll("\"cumulative_training_flops_unpruned\" : [0-9.eE+-]+,", ""));
        assertNull(ReportReader.read(run.report()).epochs().get(0).cumulativeTrainingFlopsUnpruned());
    }
}
