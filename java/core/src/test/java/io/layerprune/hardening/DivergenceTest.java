package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.data.Dataset;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training that diverges (huge learning rate, clipping off, data scaled by 1e18) stops with a
 * {@link LayerpruneException} naming the step and the learning rate, and leaves a model that can
 * still be evaluated, inspected and closed.
 */
class DivergenceTest {
    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    @Test
    void divergenceNamesTheStepAndTheLearningRateAndLeavesTheModelUsable() {
        int n = 64;
        int dim = 16;
        float[] f = new float[n * dim];
        int[] labels = new int[n];
        java.util.Random r = new java.util.Random(5);
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int j = 0; j < dim; j++) {
                f[i * dim + j] = (float) (r.nextGaussian() * 1e18);
            }
        }
        TrainConfig config = TrainConfig.builder().epochs(3).batchSize(16).etaW(1e6).clipNorm(0).build();
        try (Dataset data = Dataset.of("scaled-1e18", f, labels, dim, 3);
                Model model = ResidualMlp.builder().inputSize(dim).width(32).sections(3).classes(3).build();
                Trainer trainer = Trainer.create(model, config)) {
            LayerpruneException e = assertThrows(LayerpruneException.class, () -> trainer.fit(data, data));
            String m = e.getMessage();
            System.out.println("DivergenceTest: " + m);
            assertTrue(m.contains("learning rate"), m);
            Matcher step = Pattern.compile("at step (\\d+)").matcher(m);
            assertTrue(step.find(), "the message names the step: " + m);
            long at = Long.parseLong(step.group(1));
            assertTrue(at >= 1 && at <= 12, "step " + at + " of at most 12");

            // Still usable: evaluation does not crash, inspection and prediction work.
            Evaluation ev = assertDoesNotThrow(() -> model.evaluate(data, EvalMode.EXPECTED));
            assertEquals(n, ev.samples());
            assertTrue(ev.accuracy() >= 0 && ev.accuracy() <= 1, "accuracy " + ev.accuracy());
            assertDoesNotThrow(() -> model.evaluate(data, EvalMode.DETERMINISTIC));
            assertEquals(3, model.sectionStates().size());
            assertTrue(model.params() > 0);
            assertTrue(trainer.stepsDone() >= at - 1);
            float[] logits = assertDoesNotThrow(() -> model.predict(new float[dim], 1, EvalMode.EXPECTED));
            assertEquals(3, logits.length);
            // fit ran once (and failed): a second one is refused, not a second native trainer.
            assertThrows(IllegalStateException.class, () -> trainer.fit(data, null));
        }
        // close() ran through try-with-resources without throwing; a fresh model still trains.
        try (Model again = ResidualMlp.builder().inputSize(dim).width(8).sections(1).classes(3).build();
                Dataset small = Dataset.of("small", new float[16 * dim], new int[16], dim, 3);
                Trainer t = Trainer.create(again, TrainConfig.builder().epochs(1).batchSize(8).build())) {
            assertEquals(2, t.fit(small, null).steps());
        }
    }
}
