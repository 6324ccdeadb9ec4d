package io.layerprune.checkpoint;

import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.TestData;
import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints through the Java API: an interrupted and resumed run equals the uninterrupted one
 * bit for bit (MLP and a small ResNet); bad files raise exceptions naming the problem; divergence
 * keeps the last good checkpoint.
 */
class CheckpointTest {
    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static Dataset blobs(String name, int n, int dim, int classes, long seed) {
        Random r = new Random(seed);
        float[][] means = new float[classes][dim];
        for (float[] m : means) {
            for (int j = 0; j < dim; j++) {
                m[j] = (float) r.nextGaussian();
            }
        }
        float[] f = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextInt(classes);
            for (int j = 0; j < dim; j++) {
                f[i * dim + j] = means[labels[i]][j] + (float) r.nextGaussian();
            }
        }
        return Dataset.of(name, f, labels, dim, classes);
    }

    /** Thrown by a listener to stop fit after the first epoch's save, like a killed process. */
    static final class Interrupt extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    void resumeEqualsStraight(Supplier<ModelSpec> spec, TrainConfig config, Dataset train, Dataset test) {
        TrainingResult straight;
        float[] straightLogits;
        int probe = 4;
        float[] probeX = new float[probe * (int) train.dim()];
        for (int i = 0; i < probeX.length; i++) {
            probeX[i] = (float) Math.sin(i);
        }
        try (Model m = spec.get().build(); Trainer t = Trainer.create(m, config)) {
            straight = t.fit(train, test);
            straightLogits = m.predict(probeX, probe, EvalMode.EXPECTED);
        }
        Path file = dir.resolve("run.lpckpt");
        try (Model m = spec.get().build(); Trainer t = Trainer.create(m, config)) {
            assertThrows(Interrupt.class, () -> t.fit(train, test, new TrainingListener() {
                @Override
                public void onEpoch(EpochEvent e) {
                    t.save(file, "user metadata");
                    throw new Interrupt();
                }
            }));
        }
        try (Checkpoint c = Checkpoint.load(file)) {
            assertEquals(1, c.epochsDone());
            assertFalse(c.finished());
            assertEquals("user metadata", c.metadata());
            assertEquals(config, c.config().orElseThrow());
            assertEquals(spec.get(), c.model().spec());
            TrainingResult resumed = c.resume(train, test);
            assertEquals(straight.validationAccuracy(), resumed.validationAccuracy());
            assertEquals(straight.validationLoss(), resumed.validationLoss());
            assertEquals(straight.validationLossExpected(), resumed.validationLossExpected());
            assertEquals(straight.steps(), resumed.steps());
            assertEquals(straight.samplesTrained(), resumed.samplesTrained());
            assertEquals(straight.params(), resumed.params());
            assertEquals(straight.paramsInitial(), resumed.paramsInitial());
            assertEquals(straight.cumulativeTrainingFlops(), resumed.cumulativeTrainingFlops());
            assertEquals(straight.cumulativeTrainingFlopsUnpruned(), resumed.cumulativeTrainingFlopsUnpruned());
            assertEquals(straight.sections(), resumed.sections());
            assertArrayEquals(straight.sectionTau(), resumed.sectionTau());
            assertEquals(straight.pruneEvents(), resumed.pruneEvents());
            assertEquals(straight.epochs().size(), resumed.epochs().size());
            for (int i = 0; i < straight.epochs().size(); i++) {
                EpochEvent a = straight.epochs().get(i);
                EpochEvent b = resumed.epochs().get(i);
                assertEquals(a.loss(), b.loss());
                assertEquals(a.validationAccuracyExpected(), b.validationAccuracyExpected());
                assertArrayEquals(a.theta(), b.theta());
                assertArrayEquals(a.tau(), b.tau());
                assertEquals(a.cumulativeTrainingFlops(), b.cumulativeTrainingFlops());
            }
            assertArrayEquals(straightLogits, c.model().predict(probeX, probe, EvalMode.EXPECTED));
            // The finished run can be saved again and no longer resumed.
            c.trainer().save(file);
        }
        try (Checkpoint c = Checkpoint.load(file)) {
            assertTrue(c.finished());
            assertThrows(IllegalStateException.class, () -> c.resume(train, test));
        }
    }

    @Test
    void resumedMlpRunEqualsTheUninterruptedOne() {
        try (Dataset train = blobs("train", 192, 20, 4, 1); Dataset test = blobs("test", 64, 20, 4, 2)) {
            TrainConfig config = TrainConfig.builder().epochs(2).batchSize(16).lambda(3).etaTheta(0.5).patience(2)
                    .seed(3).build();
            resumeEqualsStraight(() -> ResidualMlp.builder().inputSize(20).width(24).sections(4).classes(4).seed(5)
                    .spec(), config, train, test);
        }
    }

    @Test
    void resumedResNetRunEqualsTheUninterruptedOne() {
        try (Dataset train = blobs("train", 48, 3 * 8 * 8, 3, 1); Dataset test = blobs("test", 16, 3 * 8 * 8, 3, 2)) {
            TrainConfig config = TrainConfig.builder().epochs(2).batchSize(8).lambda(3).etaTheta(0.5).patience(2)
                    .augmentPad(1).augmentFlip(true).weightDecay(5e-4).seed(3).build();
            resumeEqualsStraight(() -> ResNet.builder().depth(8).input(3, 8, 8).classes(3).seed(5).spec(), config,
                    train, test);
        }
    }

    @Test
    void modelSavedAloneLoadsForPrediction() {
        Path file = dir.resolve("model.lpckpt");
        float[] x = new float[2 * 10];
        float[] before;
        try (Model m = ResidualMlp.builder().inputSize(10).width(8).sections(3).classes(3).seed(9).build()) {
            m.setTheta(2, 0.2);
            m.determinize();
            before = m.predict(x, 2, EvalMode.DETERMINISTIC);
            m.save(file);
        }
        try (Model m = Checkpoint.loadModel(file)) {
            assertArrayEquals(before, m.predict(x, 2, EvalMode.DETERMINISTIC));
            assertTrue(m.section(2).pruned());
            assertEquals(2, m.liveSections());
        }
        try (Checkpoint c = Checkpoint.load(file)) {
            assertFalse(c.hasTrainer());
            assertTrue(c.config().isEmpty());
            assertThrows(IllegalStateException.class, c::trainer);
        }
    }

    String loadError(byte[] bytes) throws IOException {
        Path file = dir.resolve("bad.lpckpt");
        Files.write(file, bytes);
        LayerpruneException e = assertThrows(LayerpruneException.class, () -> Checkpoint.load(file));
        assertThrows(LayerpruneException.class, () -> Checkpoint.loadModel(file));
        return e.getMessage();
    }

    @Test
    void badFilesRaiseExceptionsNamingTheProblem() throws IOException {
        Path good = dir.resolve("good.lpckpt");
        try (Model m = ResidualMlp.builder().inputSize(10).width(8).sections(2).classes(3).build()) {
            m.save(good);
        }
        byte[] bytes = Files.readAllBytes(good);
        String m = loadError(java.util.Arrays.copyOf(bytes, bytes.length - 7));
        assertTrue(m.contains("truncated at byte " + (bytes.length - 7)), m);
        byte[] flipped = bytes.clone();
        flipped[bytes.length / 2] ^= 0x04;
        m = loadError(flipped);
        assertTrue(m.contains("checksum mismatch"), m);
        byte[] newer = bytes.clone();
        newer[8] = 9;
        m = loadError(newer);
        assertTrue(m.contains("format version 9 is newer than this library supports (max 1)"), m);
        m = loadError(new byte[0]);
        assertTrue(m.contains("is empty"), m);
        m = loadError(new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 13, 'I', 'H', 'D', 'R'});
        assertTrue(m.contains("not a layerprune checkpoint (bad magic"), m);
        m = loadError(TestData.imagesIdx(2, 28, 28, new byte[2 * 28 * 28]));
        assertTrue(m.contains("not a layerprune checkpoint (bad magic"), m);
        LayerpruneException missing =
                assertThrows(LayerpruneException.class, () -> Checkpoint.load(dir.resolve("nope.lpckpt")));
        assertTrue(missing.getMessage().contains("No such file"), missing.getMessage());
    }

    @Test
    void divergenceKeepsTheLastGoodCheckpointAndTheModelUsable() {
        // One batch per epoch and a learning rate that blows the weights up within a few steps: the
        // checkpoint of every epoch before the diverging step is written, then the loss turns non-finite.
        int n = 16;
        int dim = 8;
        Path file = dir.resolve("diverge.lpckpt");
        TrainConfig config = TrainConfig.builder().epochs(200).batchSize(n).etaW(1e4).clipNorm(0).momentum(0.9)
                .noGates(true).build();
        try (Dataset data = blobs("blobs", n, dim, 3, 4);
                Model model = ResidualMlp.builder().inputSize(dim).width(16).sections(2).classes(3).build();
                Trainer trainer = Trainer.create(model, config)) {
            int[] saved = {0};
            LayerpruneException e = assertThrows(LayerpruneException.class, () -> trainer.fit(data, null,
                    new TrainingListener() {
                        @Override
                        public void onEpoch(EpochEvent ev) {
                            trainer.save(file);
                            saved[0] = ev.epoch();
                        }
                    }));
            String message = e.getMessage();
            System.out.println("CheckpointTest divergence: " + message + " (last checkpoint: epoch " + saved[0] + ")");
            assertTrue(message.contains("learning rate"), message);
            Matcher step = Pattern.compile("at step (\\d+)").matcher(message);
            assertTrue(step.find(), message);
            long at = Long.parseLong(step.group(1));
            assertTrue(at >= 2, "diverged at step " + at + ": no checkpoint before it");
            assertEquals(at - 1, saved[0]);
            // The model stays usable and the last good checkpoint loads, at the epoch before the divergence.
            assertTrue(model.evaluate(data, EvalMode.EXPECTED).samples() == n);
            try (Checkpoint c = Checkpoint.load(file)) {
                assertEquals(saved[0], c.epochsDone());
                assertEquals(n, c.model().evaluate(data, EvalMode.EXPECTED).samples());
            }
        }
    }

    @Test
    void saveBeforeFitIsRefused() {
        try (Model m = ResidualMlp.builder().inputSize(4).width(4).sections(1).classes(2).build();
                Trainer t = Trainer.create(m, TrainConfig.defaults())) {
            assertThrows(IllegalStateException.class, () -> t.save(dir.resolve("x.lpckpt")));
        }
        List<String> left = List.of(dir.toFile().list());
        assertTrue(left.isEmpty(), left.toString());
    }
}
