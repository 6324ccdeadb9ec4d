package io.layerprune.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.data.Dataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.Precision;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mixed precision (bf16 matrix products, f32 weights) through the Java API: training, checkpoints,
 * {@link Model#setPrecision} and {@link ExportedModel#setPrecision}, the refusal while a trainer is open,
 * and the refusal on a CPU without bf16. The bf16 tests skip, printing the core's reason, where
 * {@code precision_unsupported_reason} says this CPU cannot run bf16.
 */
class MixedPrecisionTest {
    static final int DIM = 16;
    static final int CLASSES = 4;

    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    /** Gaussian blobs: chance is 1 / CLASSES, a small MLP reaches well above 0.9 in fp32. */
    static Dataset blobs(String name, int n, long seed) {
        Random centres = new Random(77);  // the same classes for every seed
        float[][] means = new float[CLASSES][DIM];
        for (float[] m : means) {
            for (int j = 0; j < DIM; j++) {
                m[j] = (float) centres.nextGaussian();
            }
        }
        Random r = new Random(seed);
        float[] f = new float[n * DIM];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(CLASSES);
            for (int j = 0; j < DIM; j++) {
                f[i * DIM + j] = means[labels[i]][j] + (float) r.nextGaussian();
            }
        }
        return Dataset.of(name, f, labels, DIM, CLASSES);
    }

    static Model mlp() {
        return ResidualMlp.builder().inputSize(DIM).width(32).sections(3).classes(CLASSES).seed(5).build();
    }

    static TrainConfig config(Precision p) {
        return TrainConfig.defaults().toBuilder().epochs(3).batchSize(32).etaW(0.05).seed(3).precision(p).build();
    }

    static float[] probe(int rows) {
        float[] x = new float[rows * DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (2 * Math.sin(0.37 * i + 1));
        }
        return x;
    }

    /** The bf16 tests run only where the core says this CPU can run bf16; the reason is the skip message. */
    static void assumeBf16() {
        Optional<String> reason = Precision.BF16.unsupportedReason();
        assumeTrue(reason.isEmpty(), () -> "bf16 is not supported here: " + reason.orElse(""));
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]));
        }
        return m;
    }

    /** ||a - b||_2 / ||b||_2. */
    static double relativeDiff(float[] a, float[] b) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            d += ((double) a[i] - b[i]) * ((double) a[i] - b[i]);
            n += (double) b[i] * b[i];
        }
        return Math.sqrt(d / n);
    }

    @Test
    void bf16TrainsAndItsCheckpointKeepsF32Weights() {
        assumeBf16();
        Path file = dir.resolve("bf16.lpckpt");
        float[] x = probe(64);
        double fp32Accuracy;
        try (Dataset train = blobs("train", 1200, 1); Dataset validation = blobs("validation", 400, 2)) {
            try (Model m = mlp(); Trainer t = Trainer.create(m, config(Precision.FP32))) {
                fp32Accuracy = t.fit(train, validation).validationAccuracy();
            }
            float[] trainedFp32;
            try (Model m = mlp()) {
                TrainingResult r;
                try (Trainer t = Trainer.create(m, config(Precision.BF16))) {
                    assertEquals(Precision.FP32, m.precision(), "nothing changes before fit");
                    r = t.fit(train, validation);
                    assertEquals(Precision.BF16, m.precision(), "fit sets the model to the config's precision");
                    assertEquals(Precision.BF16, t.config().precision());
                    t.save(file);
                }
                // Trains: clearly above chance (0.25), and close to the same run in fp32.
                assertTrue(r.validationAccuracy() > 0.75, "bf16 validation accuracy " + r.validationAccuracy());
                assertTrue(r.validationAccuracy() > fp32Accuracy - 0.1,
                        "bf16 " + r.validationAccuracy() + " vs fp32 " + fp32Accuracy);
                assertTrue(Double.isFinite(r.validationLoss()), "loss " + r.validationLoss());
                // The trainer is closed: the precision may change, and stays as set.
                m.setPrecision(Precision.FP32);
                assertEquals(Precision.FP32, m.precision());
                trainedFp32 = m.predict(x, 64);
            }
            try (Checkpoint c = Checkpoint.load(file)) {
                assertEquals(Precision.BF16, c.config().orElseThrow().precision(), "the run's precision is stored");
                Model loaded = c.model();
                assertEquals(Precision.FP32, loaded.precision(), "a loaded model runs fp32");
                // Same predictions in fp32 bit for bit: the checkpoint holds the f32 master weights.
                assertArrayEquals(trainedFp32, loaded.predict(x, 64));
                try (ExportedModel e = ExportedModel.of(loaded)) {
                    assertTrue(hasNonBf16Weight(e), "the weights are f32, not rounded to bf16");
                }
                // Resuming restores the run's precision with its trainer.
                c.trainer();
                assertEquals(Precision.BF16, loaded.precision());
            }
        }
    }

    /** Whether some weight of the network has bits below bf16's 8 significand bits. */
    private static boolean hasNonBf16Weight(ExportedModel e) {
        for (ExportedModel.Tensor t : e.graph().tensors()) {
            for (float v : t.data()) {
                if ((Float.floatToRawIntBits(v) & 0xFFFF) != 0) {
                    return true;
                }
            }
        }
        return false;
    }

    @Test
    void bf16ChangesPredictionsSlightly() {
        assumeBf16();
        float[] x = probe(32);
        try (Model m = mlp()) {
            assertEquals(Precision.FP32, m.precision());
            float[] fp32 = m.predict(x, 32, EvalMode.EXPECTED);
            m.setPrecision(Precision.BF16);
            assertEquals(Precision.BF16, m.precision());
            float[] bf16 = m.predict(x, 32, EvalMode.EXPECTED);
            double max = maxAbsDiff(bf16, fp32);
            double rel = relativeDiff(bf16, fp32);
            assertTrue(max > 0, "bf16 must round the products' inputs");
            assertTrue(rel < 0.05, "relative difference " + rel + " (max |diff| " + max + ")");
            m.setPrecision(Precision.FP32);
            assertArrayEquals(fp32, m.predict(x, 32, EvalMode.EXPECTED), "back to fp32: the same numbers");

            try (ExportedModel e = ExportedModel.of(m)) {
                m.setPrecision(Precision.BF16);
                assertEquals(Precision.FP32, e.precision(), "an exported network starts in fp32");
                float[] e32 = e.predict(x, 32);
                e.setPrecision(Precision.BF16);
                assertEquals(Precision.BF16, e.precision());
                float[] e16 = e.predict(x, 32);
                double emax = maxAbsDiff(e16, e32);
                double erel = relativeDiff(e16, e32);
                assertTrue(emax > 0, "bf16 must round the products' inputs (exported)");
                assertTrue(erel < 0.05, "relative difference " + erel + " (max |diff| " + emax + ")");
                e.setPrecision(Precision.FP32);
                assertArrayEquals(e32, e.predict(x, 32));
            }
        }
    }

    @Test
    void precisionCannotChangeWhileATrainerIsOpen() {
        // No bf16 needed: the refusal comes before the core is asked.
        try (Dataset train = blobs("train", 256, 1); Model m = mlp()) {
            Trainer t = Trainer.create(m, config(Precision.FP32).toBuilder().epochs(1).build());
            t.fit(train, null);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> m.setPrecision(Precision.BF16));
            assertTrue(e.getMessage().contains("trainer is open") && e.getMessage().contains("TrainConfig's precision"),
                    e.getMessage());
            assertEquals(Precision.FP32, m.precision(), "unchanged");
            m.setPrecision(Precision.FP32);  // the trainer's own precision: allowed
            t.close();
            Optional<String> reason = Precision.BF16.unsupportedReason();
            if (reason.isEmpty()) {
                m.setPrecision(Precision.BF16);  // no trainer any more
                assertEquals(Precision.BF16, m.precision());
            }
        }
    }

    @Test
    void closedHandlesRefuse() {
        Model m = mlp();
        ExportedModel e = ExportedModel.of(m);
        m.close();
        e.close();
        assertThrows(IllegalStateException.class, m::precision);
        assertThrows(IllegalStateException.class, () -> m.setPrecision(Precision.FP32));
        assertThrows(IllegalStateException.class, e::precision);
        assertThrows(IllegalStateException.class, () -> e.setPrecision(Precision.FP32));
        try (Model open = mlp()) {
            assertThrows(NullPointerException.class, () -> open.setPrecision(null));
        }
    }

    @Test
    void bf16IsRefusedWhereTheCpuLacksIt() {
        Optional<String> reason = Precision.BF16.unsupportedReason();
        assumeFalse(reason.isEmpty(), "this CPU runs bf16: nothing to refuse");
        try (Dataset train = blobs("train", 256, 1); Model m = mlp()) {
            LayerpruneException e = assertThrows(LayerpruneException.class, () -> m.setPrecision(Precision.BF16));
            assertTrue(e.getMessage().contains("bf16"), e.getMessage());
            assertEquals(Precision.FP32, m.precision(), "unchanged");
            try (Trainer t = Trainer.create(m, config(Precision.BF16))) {
                LayerpruneException f = assertThrows(LayerpruneException.class, () -> t.fit(train, null));
                assertTrue(f.getMessage().contains("bf16"), f.getMessage());
            }
            try (ExportedModel x = ExportedModel.of(m)) {
                assertThrows(LayerpruneException.class, () -> x.setPrecision(Precision.BF16));
                assertEquals(Precision.FP32, x.precision());
            }
        }
    }
}
