package io.layerprune;

import io.layerprune.data.Dataset;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.IdxReader;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.SectionState;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.StepEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import io.layerprune.train.TrainingStart;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Handles, validation and small native round trips on synthetic data. */
class LifecycleTest {
    @BeforeAll
    static void threads() {
        Layerprune.setThreads(2);
    }

    /** n samples of dim features; the label is the index of the largest of the first `classes` features. */
    static Dataset synthetic(String name, int n, int dim, int classes, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[] f = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int best = 0;
            for (int j = 0; j < dim; j++) {
                f[i * dim + j] = (float) r.nextGaussian();
                if (j < classes && f[i * dim + j] > f[i * dim + best]) {
                    best = j;
                }
            }
            labels[i] = best;
        }
        return Dataset.of(name, f, labels, dim, classes);
    }

    @Test
    void versionIsAvailable() {
        assertFalse(Layerprune.version().isBlank());
        assertTrue(Layerprune.threads() >= 1);
    }

    @Test
    void useAfterCloseThrowsAndDoubleCloseIsHarmless() {
        Model model = ResidualMlp.builder().inputSize(8).width(4).sections(2).classes(3).build();
        Dataset data = synthetic("tiny", 16, 8, 3, 1);
        Trainer trainer = Trainer.create(model, TrainConfig.defaults());

        model.close();
        assertTrue(model.isClosed());
        assertTrue(trainer.isClosed(), "closing the model closes its trainers");
        IllegalStateException e = assertThrows(IllegalStateException.class, model::params);
        assertEquals("model is closed", e.getMessage());
        assertThrows(IllegalStateException.class, () -> model.section(0));
        assertThrows(IllegalStateException.class, () -> model.evaluate(data, EvalMode.EXPECTED));
        e = assertThrows(IllegalStateException.class, () -> trainer.fit(data, null));
        assertEquals("trainer is closed", e.getMessage());
        assertDoesNotThrow(model::close);
        assertDoesNotThrow(trainer::close);

        data.close();
        e = assertThrows(IllegalStateException.class, data::size);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertDoesNotThrow(data::close);

        try (Model other = ResidualMlp.builder().inputSize(8).width(4).sections(2).classes(3).build()) {
            assertThrows(IllegalStateException.class, () -> other.evaluate(data, EvalMode.EXPECTED));
        }
    }

    @Test
    void mismatchedFeatureCountNamesBothSizes() {
        try (Model model = ResidualMlp.builder().inputSize(100).width(8).sections(2).classes(10).build();
                Dataset data = synthetic("d784", 20, 784, 10, 2);
                Trainer trainer = Trainer.create(model, TrainConfig.defaults())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.evaluate(data, EvalMode.EXPECTED));
            assertTrue(e.getMessage().contains("784 features per sample but the model expects 100"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(data, null));
            assertTrue(e.getMessage().contains("784") && e.getMessage().contains("100"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.predict(new float[784], 1, EvalMode.EXPECTED));
            assertTrue(e.getMessage().contains("100") && e.getMessage().contains("784"), e.getMessage());
        }
    }

    @Test
    void datasetArgumentsAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Dataset.of("x", new float[10], new int[3], 4, 2));
        assertTrue(e.getMessage().contains("12") && e.getMessage().contains("10"), e.getMessage());
        DataException d = assertThrows(DataException.class,
                () -> Dataset.of("x", new float[8], new int[] {0, 5}, 4, 3));
        assertTrue(d.getMessage().contains("label 5 at index 1"), d.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Dataset.of("x", new float[0], new int[0], 0, 3));
        assertTrue(e.getMessage().startsWith("dim "), e.getMessage());
    }

    @Test
    void freshModelDescribesItself() {
        try (Model model = ResidualMlp.builder().inputSize(20).width(16).sections(3).classes(4).seed(5).build()) {
            assertEquals(3, model.sections());
            assertEquals(20, model.inputSize());
            assertEquals(4, model.classes());
            assertEquals(3, model.liveSections());
            // stem 20x16 + 16, 3 sections of (2 * 16x16 + 2 * 16), head 16x4 + 4
            long expected = 20 * 16 + 16 + 3L * (2 * 16 * 16 + 2 * 16) + 16 * 4 + 4;
            assertEquals(expected, model.params());
            assertEquals(expected, model.initialParams());
            for (int i = 0; i < 3; i++) {
                SectionState s = model.section(i);
                assertEquals(i, s.index());
                assertEquals(2L * 16 * 16, s.weights());
                assertEquals(16, s.inWidth());
                assertEquals(16, s.outWidth());
                assertFalse(s.pruned());
                assertEquals(-1, s.prunedAtStep());
                assertTrue(s.weightNorm2() > 0);
            }
            assertTrue(model.flopsPerSample(EvalMode.EXPECTED) > 0);
            assertTrue(model.nativeBytes() > 0);
            assertThrows(IndexOutOfBoundsException.class, () -> model.section(3));

            float[] logits = model.predict(new float[2 * 20], 2, EvalMode.DETERMINISTIC);
            assertEquals(2 * 4, logits.length);
            for (float v : logits) {
                assertTrue(Float.isFinite(v));
            }
        }
    }

    @Test
    void determinizePrunesThetaBelowOneHalf() {
        try (Model model = ResidualMlp.builder().inputSize(10).width(8).sections(4).classes(3).build()) {
            long full = model.params();
            double flopsFull = model.flopsPerSample(EvalMode.DETERMINISTIC);
            model.setTheta(1, 0.2);
            model.setTheta(3, 0.49);
            model.setTheta(2, 0.5);
            model.determinize();
            assertEquals(2, model.liveSections());
            assertTrue(model.section(1).pruned());
            assertTrue(model.section(3).pruned());
            assertFalse(model.section(2).pruned());
            assertEquals(0.0, model.section(1).weightNorm2(), 0);
            assertEquals(full - 2L * (2 * 8 * 8 + 2 * 8), model.params());
            assertTrue(model.flopsPerSample(EvalMode.DETERMINISTIC) < flopsFull);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.setTheta(0, 1.2));
            assertTrue(e.getMessage().startsWith("theta "), e.getMessage());
        }
    }

    @Test
    void fitOnSyntheticDataReportsEveryStepAndEpoch() {
        try (Model model = ResidualMlp.builder().inputSize(16).width(16).sections(3).classes(4).seed(3).build();
                Dataset train = synthetic("train", 512, 16, 4, 10);
                Dataset test = synthetic("test", 128, 16, 4, 11);
                Trainer trainer = Trainer.create(model,
                        TrainConfig.builder().tau(0.01).batchSize(32).epochs(2).seed(4).build())) {
            List<StepEvent> steps = new ArrayList<>();
            List<EpochEvent> epochs = new ArrayList<>();
            List<TrainingStart> starts = new ArrayList<>();
            List<TrainingResult> finishes = new ArrayList<>();
            TrainingResult r = trainer.fit(train, test, new TrainingListener() {
                @Override
                public void onStart(TrainingStart s) {
                    starts.add(s);
                }

                @Override
                public void onStep(StepEvent s) {
                    steps.add(s);
                }

                @Override
                public void onEpoch(EpochEvent e) {
                    epochs.add(e);
                }

                @Override
                public void onFinish(TrainingResult res) {
                    finishes.add(res);
                }
            });
            assertEquals(1, starts.size());
            assertEquals(16, starts.get(0).stepsPerEpoch());
            // tau -> lambda = 2 N tau / max_l n_l with N = 512, n_l = 2 * 16 * 16 (resolved by the core, exactly)
            assertEquals(2.0 * 60000 * 0.01 / (2 * 16 * 16), trainer.lambda(), 0);  // N: the defaults' 60,000 reference size
            assertEquals(trainer.lambda(), r.lambda(), 0);
            assertEquals(32, steps.size());
            for (int i = 0; i < steps.size(); i++) {
                assertEquals(i + 1, steps.get(i).step());
                assertTrue(Double.isFinite(steps.get(i).loss()));
            }
            assertEquals(2, epochs.size());
            assertEquals(32, epochs.get(1).step());
            assertEquals(3, epochs.get(1).theta().length);
            assertEquals(3, epochs.get(1).tau().length);
            assertEquals(1, finishes.size());
            assertEquals(32, r.steps());
            assertEquals(32L * 32, r.samplesTrained());
            assertTrue(r.cumulativeTrainingFlops() > 0);
            assertTrue(r.cumulativeTrainingFlopsUnpruned() > 0);
            assertTrue(r.validationAccuracy() >= 0 && r.validationAccuracy() <= 1);
            assertEquals(r.sectionsTotal() - r.sectionsKept(), r.pruneEvents().size());
            IllegalStateException again = assertThrows(IllegalStateException.class, () -> trainer.fit(train, test));
            assertTrue(again.getMessage().contains("already"), again.getMessage());
        }
    }

    @Test
    void finalDeterminizationPrunesSectionsBelowOneHalfAndReportsThem() {
        // theta0 0.3 and a frozen theta: nothing reaches 0 during training, everything goes at the end.
        try (Model model = ResidualMlp.builder().inputSize(8).width(8).sections(3).classes(3).seed(1).build();
                Dataset train = synthetic("train", 256, 8, 3, 5);
                Trainer trainer = Trainer.create(model,
                        TrainConfig.builder().theta0(0.3).etaTheta(0).batchSize(32).epochs(1).build())) {
            List<PruneEvent> events = new ArrayList<>();
            TrainingResult r = trainer.fit(train, null, new TrainingListener() {
                @Override
                public void onPrune(PruneEvent p) {
                    events.add(p);
                }
            });
            assertEquals(0, r.sectionsKept());
            assertEquals(3, events.size());
            for (PruneEvent e : events) {
                assertTrue(e.atFinish(), e.toString());
                assertEquals(8, e.step());
            }
            assertEquals(events, r.pruneEvents());
            assertTrue(Double.isNaN(r.validationAccuracy()), "no validation set: NaN");
            for (SectionState s : r.sections()) {
                assertTrue(s.pruned());
                assertEquals(8, s.prunedAtStep());
            }
        }
    }

    @Test
    void idxFolderIsStandardisedWithTrainingStatistics(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        TestData.writeFolder(dir, 64, 32, 4, 4, 3, true);
        IdxReader.Images trainImages = IdxReader.readImages(dir.resolve("train-images-idx3-ubyte.gz"));
        IdxReader.Images testImages = IdxReader.readImages(dir.resolve("t10k-images-idx3-ubyte.gz"));
        double sum = 0;
        for (byte b : trainImages.pixels()) {
            sum += (b & 0xff) / 255.0;
        }
        double mean = sum / trainImages.pixels().length;
        double ss = 0;
        for (byte b : trainImages.pixels()) {
            double d = (b & 0xff) / 255.0 - mean;
            ss += d * d;
        }
        double std = Math.sqrt(ss / trainImages.pixels().length);

        try (IdxDataset.Splits splits = IdxDataset.load(dir, 0, 0, 3);
                Model model = ResidualMlp.builder().inputSize(16).width(8).sections(2).classes(3).seed(9).build()) {
            assertEquals(mean, splits.mean(), 1e-12);
            assertEquals(std, splits.std(), 1e-12);
            assertEquals(64, splits.train().size());
            assertEquals(32, splits.test().size());
            assertEquals(16, splits.train().dim());
            // The same features built by hand give the same loss: the loader's floats are (p/255 - mean) / std,
            // with the training statistics for both splits.
            for (var pair : List.of(java.util.Map.entry(splits.train(), trainImages),
                    java.util.Map.entry(splits.test(), testImages))) {
                byte[] px = pair.getValue().pixels();
                float[] f = new float[px.length];
                for (int i = 0; i < px.length; i++) {
                    f[i] = (float) (((px[i] & 0xff) / 255.0 - mean) / std);
                }
                int[] labels = new int[pair.getValue().count()];
                for (int i = 0; i < labels.length; i++) {
                    labels[i] = i % 3;
                }
                try (Dataset manual = Dataset.of("manual", f, labels, 16, 3)) {
                    Evaluation a = model.evaluate(pair.getKey(), EvalMode.DETERMINISTIC);
                    Evaluation b = model.evaluate(manual, EvalMode.DETERMINISTIC);
                    assertEquals(b.samples(), a.samples());
                    assertEquals(b.loss(), a.loss(), 1e-6);
                    assertEquals(b.accuracy(), a.accuracy(), 0);
                }
            }
        }
        // trainLimit: statistics of the first 10 images only
        try (IdxDataset.Splits limited = IdxDataset.load(dir, 10, 5, 3)) {
            assertEquals(10, limited.train().size());
            assertEquals(5, limited.test().size());
            double s10 = 0;
            for (int i = 0; i < 160; i++) {
                s10 += (trainImages.pixels()[i] & 0xff) / 255.0;
            }
            assertEquals(s10 / 160, limited.mean(), 1e-12);
        }
    }

    @Test
    void trainingSetSmallerThanABatch() {
        try (Model model = ResidualMlp.builder().inputSize(4).width(4).sections(1).classes(2).build();
                Dataset train = synthetic("small", 10, 4, 2, 1);
                Trainer trainer = Trainer.create(model, TrainConfig.builder().batchSize(64).build())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.fit(train, null));
            assertTrue(e.getMessage().contains("10 samples") && e.getMessage().contains("64"), e.getMessage());
        }
    }
}
