package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.EvalMode;
import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Native memory: build, train briefly (4 steps), evaluate and close a small model 1100 times; the
 * resident set (VmRSS) after the warm-up (cycle 100) and after the 1000 cycles that follow must
 * differ by less than 5 %. And a pruned section gives its memory back ({@link Model#nativeBytes()}
 * drops).
 *
 * <p>The cycles run in a child JVM with a fixed, pre-touched heap, C1 only and the serial GC
 * ({@link #CHILD_JVM_FLAGS}): in the test JVM itself, VmRSS climbed from ~99 MB at cycle 100 to
 * ~125 MB by cycle 2000 and then stayed flat for 8000 more cycles (even dropping later), in steps
 * that follow the C2 compiler's bursts and the first touches of heap pages, not our allocations.
 * With these flags it is flat after a few hundred cycles. A leaked model (about 40 KB of weights,
 * plus workspace) per cycle would add 40 MB over the 1000 measured cycles, far above 5 %.
 */
class NativeMemoryTest {
    static final int WARMUP = 100;
    static final int CYCLES = WARMUP + 1000;
    static final List<String> CHILD_JVM_FLAGS = List.of("-Xms64m", "-Xmx64m", "-XX:+AlwaysPreTouch",
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");

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

    /** The child JVM: runs the cycles and prints "warmKb endKb steps seconds" as its last line. */
    public static final class Cycles {
        public static void main(String[] args) throws Exception {
            Layerprune.setThreads(1);
            TrainConfig config = TrainConfig.builder().epochs(1).batchSize(16).build();
            long warm = 0;
            long steps = 0;
            long t0 = System.nanoTime();
            try (Dataset data = tiny()) {
                for (int i = 1; i <= CYCLES; i++) {
                    try (Model model = ResidualMlp.builder().inputSize(16).width(32).sections(4).classes(3).seed(i)
                            .build(); Trainer trainer = Trainer.create(model, config)) {
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
            System.out.println(warm + " " + end + " " + steps + " " + (System.nanoTime() - t0) / 1e9);
        }
    }

    @Test
    @Timeout(180)
    void buildTrainCloseAThousandTimesKeepsResidentMemoryFlat() throws Exception {
        assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs /proc (Linux)");
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(CHILD_JVM_FLAGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Cycles.class.getName());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("LAYERPRUNE_THREADS", "1");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "child JVM did not finish");
        assertEquals(0, p.exitValue(), "child JVM failed:\n" + output);
        List<String> lines = output.strip().lines().toList();
        String[] f = lines.get(lines.size() - 1).trim().split(" ");
        long warm = Long.parseLong(f[0]);
        long end = Long.parseLong(f[1]);
        long steps = Long.parseLong(f[2]);
        double seconds = Double.parseDouble(f[3]);
        double growth = (end - warm) / (double) warm;
        System.out.printf(Locale.ROOT,
                "NativeMemoryTest: %d build/train/evaluate/close cycles (%d steps) in %.1f s; VmRSS after cycle %d: %d kB,"
                        + " after cycle %d: %d kB, growth %+.2f %%%n",
                CYCLES, steps, seconds, WARMUP, warm, CYCLES, end, 100 * growth);
        assertEquals(CYCLES * 4L, steps, "4 steps per cycle");
        assertTrue(warm > 0 && end > 0);
        assertTrue(growth < 0.05, "VmRSS grew by " + String.format(Locale.ROOT, "%.2f %%", 100 * growth)
                + " from " + warm + " kB to " + end + " kB over " + (CYCLES - WARMUP) + " cycles");
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
