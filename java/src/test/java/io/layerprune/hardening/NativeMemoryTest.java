package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.Dataset;
import io.layerprune.EvalMode;
import io.layerprune.Layerprune;
import io.layerprune.Model;
import io.layerprune.ResidualMlp;
import io.layerprune.TrainConfig;
import io.layerprune.Trainer;
import io.layerprune.TrainingResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Native memory: build, train briefly (4 steps), evaluate and close a small model 1000 times after
 * a warm-up; the resident set (VmRSS) after the warm-up and at the end must differ by less than
 * 5 %. And a pruned section gives its memory back ({@link Model#nativeBytes()} drops).
 *
 * <p>The warm-up is 2000 cycles, not 100: measured with 10,000 cycles, VmRSS climbs from ~99 MB
 * at cycle 100 to ~125 MB around cycle 2000 and then stays flat (it even drops later); with
 * {@code -XX:TieredStopAtLevel=1} it is flat from cycle 500. That climb is the C2 JIT compiler's
 * memory, not ours. A leaked model (about 40 KB of weights here, plus its workspace) per cycle
 * would add 40 MB over the 1000 measured cycles, far above the 5 % (~6 MB) allowed.
 */
class NativeMemoryTest {
    static final int WARMUP = 2000;
    static final int ITERATIONS = WARMUP + 1000;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static Dataset tiny() {
        int n = 64;
        int dim = 16;
        float[] f = new float[n * dim];
        int[] labels = new int[n];
        java.util.Random r = new java.util.Random(3);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int j = 0; j < dim; j++) {
                f[i * dim + j] = (float) r.nextGaussian() + (j == labels[i] ? 2f : 0f);
            }
        }
        return Dataset.of("tiny", f, labels, dim, 3);
    }

    /** VmRSS of this process in kB. */
    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }

    static long settledRssKb() throws IOException, InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(20);
        }
        return rssKb();
    }

    @Test
    @Timeout(120)
    void buildTrainCloseAThousandTimesKeepsResidentMemoryFlat() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs /proc (Linux)");
        TrainConfig config = TrainConfig.builder().epochs(1).batchSize(16).build();
        long warm = 0;
        long t0 = System.nanoTime();
        long steps = 0;
        try (Dataset data = tiny()) {
            for (int i = 1; i <= ITERATIONS; i++) {
                try (Model model = ResidualMlp.builder().inputSize(16).width(32).sections(4).classes(3).seed(i).build();
                        Trainer trainer = Trainer.create(model, config)) {
                    TrainingResult r = trainer.fit(data, null);
                    steps += r.steps();
                    model.evaluate(data, EvalMode.DETERMINISTIC);
                }
                if (i == WARMUP) {
                    warm = settledRssKb();
                }
            }
        }
        long end = settledRssKb();
        double growth = (end - warm) / (double) warm;
        System.out.printf(Locale.ROOT,
                "NativeMemoryTest: %d build/train/close cycles (%d steps) in %.1f s; VmRSS after %d: %d kB, after %d: %d kB,"
                        + " growth %+.2f %%%n",
                ITERATIONS, steps, (System.nanoTime() - t0) / 1e9, WARMUP, warm, ITERATIONS, end, 100 * growth);
        assertEquals(ITERATIONS * 4L, steps, "4 steps per cycle");
        assertTrue(end > 0 && warm > 0);
        assertTrue(growth < 0.05, "VmRSS grew by " + String.format(Locale.ROOT, "%.2f %%", 100 * growth)
                + " from " + warm + " kB to " + end + " kB over " + (ITERATIONS - WARMUP) + " cycles");
    }

    @Test
    void pruningASectionFreesItsNativeMemory() {
        try (Model model = ResidualMlp.builder().inputSize(16).width(64).sections(3).classes(3).build()) {
            long before = model.nativeBytes();
            long paramsBefore = model.params();
            model.setTheta(1, 0.1); // below 0.5: determinize prunes it
            model.determinize();
            assertTrue(model.section(1).pruned());
            long after = model.nativeBytes();
            System.out.printf(Locale.ROOT, "NativeMemoryTest: nativeBytes %d -> %d after pruning 1 of 3 sections%n",
                    before, after);
            // A section of width 64 holds two 64x64 matrices and two biases: at least that many floats go.
            long sectionBytes = 4L * (2 * 64 * 64 + 2 * 64);
            assertTrue(before - after >= sectionBytes,
                    "nativeBytes dropped by " + (before - after) + ", expected >= " + sectionBytes);
            assertEquals(paramsBefore - (2 * 64 * 64 + 2 * 64), model.params());
        }
    }
}
