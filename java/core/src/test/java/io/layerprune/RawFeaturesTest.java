package io.layerprune;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.data.Dataset;
import io.layerprune.data.Normalizer;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model trained from raw (unnormalised) arrays predicts correctly on raw arrays, and so do its
 * checkpoint and its export (issue 13, "done when"); the normalizer fitted on the training split
 * travels with it.
 */
class RawFeaturesTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    @Test
    void rawArraysInRawArraysOutThroughCheckpointAndExport() {
        TabularData test = TabularData.blobs(300, 3, 99);
        float[] raw = test.flat();
        try (Model model = TabularData.trainedOnRaw(5)) {
            Normalizer n = model.normalizer().orElseThrow(() -> new AssertionError("the model took no normalizer"));
            assertEquals(TabularData.DIM, n.groups());
            double acc = TabularData.accuracy(model.classify(raw, 300), test.labels());
            assertTrue(acc > 0.9, "raw-feature accuracy " + acc);
            float[] logits = model.predict(raw, 300);

            // the same numbers from a buffer (direct and heap), and probabilities that are a softmax
            FloatBuffer direct = ByteBuffer.allocateDirect(4 * raw.length).order(ByteOrder.nativeOrder()).asFloatBuffer();
            direct.put(raw).flip();
            assertArrayEquals(logits, model.predict(direct, 300));
            assertArrayEquals(logits, model.predict(FloatBuffer.wrap(raw), 300));
            float[] p = model.probabilities(raw, 300);
            for (int i = 0; i < 300; i++) {
                assertEquals(1.0, p[3 * i] + p[3 * i + 1] + p[3 * i + 2], 1e-5);
            }

            Path ckpt = dir.resolve("model.lpckpt");
            model.save(ckpt);
            try (Model back = Checkpoint.loadModel(ckpt)) {
                assertEquals(n, back.normalizer().orElseThrow());
                assertArrayEquals(logits, back.predict(raw, 300));
            }
            Path file = dir.resolve("model.lpexport");
            ExportedModel.export(model, file);
            try (ExportedModel exported = ExportedModel.load(file)) {
                assertEquals(n, exported.normalizer().orElseThrow());
                assertTrue(ExportTestModels.relativeError(exported.predict(raw, 300), logits) < 1e-5);
                assertArrayEquals(model.classify(raw, 300), exported.classify(raw, 300));
            }

            // evaluating needs the model's normalisation: raw data sets are refused, normalised ones accepted
            try (Dataset rawSet = Dataset.of("raw-test", test.features(), test.labels(), 3)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> model.evaluate(rawSet, io.layerprune.EvalMode.DETERMINISTIC));
                assertTrue(e.getMessage().contains("not normalised"), e.getMessage());
                try (Dataset normalised = rawSet.normalized(n)) {
                    Evaluation ev = model.evaluate(normalised, io.layerprune.EvalMode.DETERMINISTIC);
                    assertEquals(acc, ev.accuracy(), 1e-9);
                }
            }
        }
    }

    /** Without standardisation the same network learns the raw problem much worse (why it matters). */
    @Test
    void standardisingMatters() {
        TabularData t = TabularData.blobs(600, 3, 5);
        TabularData test = TabularData.blobs(300, 3, 99);
        double rawAcc;
        try (Model model = ResidualMlp.builder().inputSize(TabularData.DIM).classes(3).width(32).sections(3).seed(5)
                .build();
                Dataset all = Dataset.of("blobs", t.features(), t.labels(), 3);
                Dataset.Split raw = all.split(0.2, 5);
                Trainer trainer = Trainer.create(model, TrainConfig.defaults().toBuilder().epochs(8).batchSize(32)
                        .seed(5).build())) {
            TrainingResult r = trainer.fit(raw.train(), raw.validation());
            assertTrue(model.normalizer().isEmpty(), "raw data: no normalizer to take");
            assertTrue(Double.isFinite(r.validationAccuracy()));
            rawAcc = TabularData.accuracy(model.classify(test.flat(), 300), test.labels());
        }
        double standardisedAcc;
        try (Model model = TabularData.trainedOnRaw(5)) {
            standardisedAcc = TabularData.accuracy(model.classify(test.flat(), 300), test.labels());
        }
        System.out.printf("RawFeaturesTest: accuracy %.3f trained on raw features, %.3f standardised%n", rawAcc,
                standardisedAcc);
        assertTrue(standardisedAcc > rawAcc + 0.1, rawAcc + " raw vs " + standardisedAcc + " standardised");
        assertFalse(Double.isNaN(rawAcc));
    }
}
