package io.layerprune.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.TabularData;
import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Trainer.stop() (cooperative), EarlyStopping, and builders that refuse missing sizes. */
class StopTest {
    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static Model model() {
        return ResidualMlp.builder().inputSize(TabularData.DIM).classes(3).width(16).sections(2).seed(1).build();
    }

    static TrainConfig config(int epochs) {
        return TrainConfig.defaults().toBuilder().epochs(epochs).batchSize(20).seed(1).build();
    }

    @Test
    void stopFromAListenerEndsAfterTheCurrentStep() {
        TabularData t = TabularData.blobs(200, 3, 1);
        try (Model m = model(); Dataset all = Dataset.of("blobs", t.features(), t.labels(), 3);
                Dataset.Split s = all.split(0.2, 1); Dataset.Split d = s.standardized();
                Trainer trainer = Trainer.create(m, config(5))) {
            AtomicInteger epochs = new AtomicInteger();
            TrainingResult r = trainer.fit(d.train(), d.validation(), new TrainingListener() {
                @Override
                public void onStep(StepEvent e) {
                    if (e.step() == 11) {
                        trainer.stop();
                    }
                }

                @Override
                public void onEpoch(EpochEvent e) {
                    epochs.incrementAndGet();
                }
            });
            assertTrue(r.stopped());
            assertEquals(11, r.steps(), "8 steps per epoch: stopped in the second epoch after step 11");
            assertEquals(1, epochs.get(), "the partial epoch has no EpochEvent");
            assertEquals(1, r.epochs().size());
            assertTrue(Double.isFinite(r.validationAccuracy()), "evaluated after the stop");
            // determinised: every live section has theta >= 0.5
            assertTrue(m.sectionStates().stream().allMatch(x -> x.pruned() || x.theta() >= 0.5));
            assertThrows(IllegalStateException.class, () -> trainer.fit(d.train(), d.validation()));
        }
    }

    @Test
    void stopFromAnotherThread() throws Exception {
        TabularData t = TabularData.blobs(400, 3, 2);
        try (Model m = model(); Dataset all = Dataset.of("blobs", t.features(), t.labels(), 3);
                Trainer trainer = Trainer.create(m, config(10_000))) {
            CountDownLatch running = new CountDownLatch(1);
            Thread stopper = new Thread(() -> {
                try {
                    running.await();
                    trainer.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stopper.start();
            TrainingResult r = trainer.fit(all, null, new TrainingListener() {
                @Override
                public void onStep(StepEvent e) {
                    running.countDown();
                }
            });
            stopper.join();
            assertTrue(r.stopped());
            assertTrue(r.steps() < 10_000L * 20, "stopped long before 10,000 epochs: " + r.steps());
        }
    }

    @Test
    void earlyStoppingStopsAfterPatienceEpochsWithoutImprovement() {
        try (Model m = model(); Trainer trainer = Trainer.create(m, config(3))) {
            EarlyStopping early = EarlyStopping.on(trainer).patience(2).minDelta(0.01);
            double[] losses = {1.0, 0.8, 0.795, 0.9, 0.7};
            for (int e = 1; e <= 3; e++) {
                early.onEpoch(epoch(e, losses[e - 1], 0.5));
                assertFalse(trainer.stopRequested(), "epoch " + e);
            }
            early.onEpoch(epoch(4, losses[3], 0.5));  // 0.795 (< min delta) and 0.9: two epochs without improvement
            assertTrue(trainer.stopRequested());
            assertEquals(2, early.bestEpoch());
            assertEquals(0.8, early.best());
            assertEquals(4, early.stoppedAfter());

            EarlyStopping acc = EarlyStopping.on(trainer).monitor(EarlyStopping.Monitor.ACCURACY).patience(1);
            acc.onEpoch(epoch(1, 1, 0.5));
            acc.onEpoch(epoch(2, 1, 0.6));
            assertEquals(2, acc.bestEpoch(), "higher accuracy is better");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> early.onStart(new TrainingStart(1, 1, 1, 1, 0, 1, 0, null, 1, 1, 1, 1, 1, 0)));
            assertTrue(e.getMessage().contains("validation set"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> early.patience(0));
        }
    }

    @Test
    void earlyStoppingEndsARealRun() {
        TabularData t = TabularData.blobs(200, 3, 4);
        try (Model m = model(); Dataset all = Dataset.of("blobs", t.features(), t.labels(), 3);
                Dataset.Split s = all.split(0.2, 4); Dataset.Split d = s.standardized();
                Trainer trainer = Trainer.create(m, config(200))) {
            EarlyStopping early = EarlyStopping.on(trainer).patience(2).minDelta(0.5);  // improvements never count
            TrainingResult r = trainer.fit(d.train(), d.validation(), early);
            assertTrue(r.stopped());
            assertEquals(3, r.epochs().size(), "the first epoch sets the best, two more without improvement");
            assertEquals(3, early.stoppedAfter());
        }
    }

    static EpochEvent epoch(int epoch, double loss, double accuracy) {
        return new EpochEvent(epoch, epoch, 1, 0.5, loss, accuracy, new double[0], new double[0], new boolean[0], 0, 0,
                0, 0, 0, loss, accuracy, 0);
    }

    @Test
    void buildersRefuseMissingSizes() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ResidualMlp.builder().classes(3).build());
        assertTrue(e.getMessage().contains("inputSize"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> ResidualMlp.builder().inputSize(4).spec());
        assertTrue(e.getMessage().contains("classes"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> ResNet.builder().classes(10).spec());
        assertTrue(e.getMessage().contains("input"), e.getMessage());
        e = assertThrows(IllegalStateException.class, () -> ResNet.builder().input(1, 28, 28).spec());
        assertTrue(e.getMessage().contains("classes"), e.getMessage());
        assertEquals(256, ResidualMlp.builder().inputSize(4).classes(2).spec().width(), "width keeps its default");
    }
}
