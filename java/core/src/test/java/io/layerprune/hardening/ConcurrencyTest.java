package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.layerprune.EvalMode;
import io.layerprune.TabularData;
import io.layerprune.data.Dataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.Predictor;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingStart;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The thread-safety contract (issue 14 item 1): N threads x M calls on a shared Model and
 * ExportedModel give bit for bit the single-threaded results; predict during fit, fit from two
 * threads, a second trainer and close() during calls end in results or IllegalStateException,
 * never in a crash or a wrong number.
 */
class ConcurrencyTest {
    static final int THREADS = 8;
    static final int CALLS = 150;
    static final int[] ROWS = {1, 5, 16, 37};  // each batch size has its own native plan

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static Model model(long seed) {
        return ResidualMlp.builder().inputSize(TabularData.DIM).classes(3).width(24).sections(4).seed(seed).build();
    }

    static float[] features(int rows, long seed) {
        Random r = new Random(seed);
        float[] x = new float[rows * TabularData.DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /** Every thread's calls compared with the logits of the same call made alone. */
    static void sharedPredictorGivesTheSingleThreadedLogits(Predictor p) throws Exception {
        float[][] inputs = new float[ROWS.length][];
        float[][] expected = new float[ROWS.length][];
        for (int k = 0; k < ROWS.length; k++) {
            inputs[k] = features(ROWS[k], k);
            expected[k] = p.predict(inputs[k], ROWS[k]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    int wrong = 0;
                    for (int c = 0; c < CALLS; c++) {
                        int k = (thread + c) % ROWS.length;
                        float[] y = p.predict(inputs[k], ROWS[k]);
                        wrong += java.util.Arrays.equals(y, expected[k]) ? 0 : 1;
                    }
                    return wrong;
                }));
            }
            int wrong = 0;
            for (Future<Integer> f : results) {
                wrong += f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(0, wrong, "calls whose logits differ from the single-threaded call's");
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void sharedModelGivesTheSingleThreadedLogits() throws Exception {
        try (Model m = model(1)) {
            sharedPredictorGivesTheSingleThreadedLogits(m);
        }
    }

    @Test
    void sharedExportGivesTheSingleThreadedLogits() throws Exception {
        try (Model m = model(2); ExportedModel e = ExportedModel.of(m)) {
            sharedPredictorGivesTheSingleThreadedLogits(e);
        }
    }

    @Test
    void sharedEvaluationsGiveTheSingleThreadedNumbers() throws Exception {
        TabularData t = TabularData.blobs(300, 3, 3);
        try (Model m = model(3); Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
                ExportedModel e = ExportedModel.of(m)) {
            Evaluation alone = m.evaluate(d, EvalMode.EXPECTED);
            Evaluation aloneExport = e.evaluate(d);
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<Boolean>> same = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    int call = i;
                    same.add(pool.submit(() -> call % 2 == 0 ? m.evaluate(d, EvalMode.EXPECTED).equals(alone)
                            : e.evaluate(d).equals(aloneExport)));
                }
                for (Future<Boolean> f : same) {
                    assertTrue(f.get(120, TimeUnit.SECONDS), "an evaluation differs from the single-threaded one");
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    static TrainConfig config(int epochs) {
        return TrainConfig.defaults().toBuilder().epochs(epochs).batchSize(16).seed(1).build();
    }

    /**
     * Readers on three threads while the model trains: their calls see whole steps (finite logits),
     * and the training run is bit for bit the one without readers.
     */
    @Test
    void inferenceDuringFitChangesNothing() throws Exception {
        TabularData t = TabularData.blobs(320, 3, 4);
        float[] probe = features(8, 9);
        float[] alone;
        try (Model m = model(4); Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
                Trainer tr = Trainer.create(m, config(3))) {
            tr.fit(d, null);
            alone = m.predict(probe, 8);
        }
        try (Model m = model(4); Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
                Trainer tr = Trainer.create(m, config(3))) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicInteger calls = new AtomicInteger();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                int reader = r;
                Thread th = new Thread(() -> {
                    float[] x = features(ROWS[reader], reader);
                    try {
                        while (!done.get()) {
                            float[] y = m.predict(x, ROWS[reader],
                                    reader == 0 ? EvalMode.DETERMINISTIC : EvalMode.EXPECTED);
                            for (float v : y) {
                                if (!Float.isFinite(v)) {
                                    throw new AssertionError("non-finite logit during fit");
                                }
                            }
                            m.sectionStates();
                            m.evaluate(d, EvalMode.EXPECTED);
                            calls.incrementAndGet();
                        }
                    } catch (Throwable e) {
                        failure.compareAndSet(null, e);
                    }
                });
                th.start();
                readers.add(th);
            }
            tr.fit(d, null);
            done.set(true);
            for (Thread th : readers) {
                th.join(60_000);
            }
            if (failure.get() != null) {
                fail("a reader failed during fit", failure.get());
            }
            assertTrue(calls.get() > 0, "the readers made no call during fit");
            assertArrayEquals(alone, m.predict(probe, 8), "the readers changed the training run");
        }
    }

    /** A second fit of the same trainer on another thread while the first runs. */
    @Test
    void fitFromTwoThreadsIsRefused() throws Exception {
        TabularData t = TabularData.blobs(320, 3, 5);
        try (Model m = model(5); Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
                Trainer tr = Trainer.create(m, config(1000))) {
            CountDownLatch started = new CountDownLatch(1);
            Thread first = new Thread(() -> tr.fit(d, null, new TrainingListener() {
                @Override
                public void onStart(TrainingStart s) {
                    started.countDown();
                }
            }));
            first.start();
            assertTrue(started.await(60, TimeUnit.SECONDS));
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> tr.fit(d, null));
            assertTrue(e.getMessage().contains("already running"), e.getMessage());
            tr.stop();
            first.join(60_000);
        }
    }

    @Test
    void aSecondTrainerOfTheModelIsRefused() {
        TabularData t = TabularData.blobs(64, 3, 6);
        try (Model m = model(6); Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
                Trainer first = Trainer.create(m, config(1)); Trainer second = Trainer.create(m, config(1))) {
            first.fit(d, null);
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> second.fit(d, null));
            assertTrue(e.getMessage().contains("already has one trainer"), e.getMessage());
            first.close();
            second.fit(d, null);  // once the first is closed, the second may train the model
        }
    }

    /**
     * close() while other threads predict: each call either completes with the right logits or
     * throws IllegalStateException ("... is closed"); nothing else, and no crash.
     */
    static void closeDuringCalls(Predictor p, AutoCloseable handle, float[] x, int rows) throws Exception {
        float[] expected = p.predict(x, rows);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            CountDownLatch going = new CountDownLatch(4);
            List<Future<Integer>> results = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                results.add(pool.submit((Callable<Integer>) () -> {
                    going.countDown();
                    int ok = 0;
                    while (true) {
                        float[] y;
                        try {
                            y = p.predict(x, rows);
                        } catch (IllegalStateException closed) {
                            assertTrue(closed.getMessage().contains("is closed"), closed.getMessage());
                            return ok;
                        }
                        assertArrayEquals(expected, y);
                        ok++;
                    }
                }));
            }
            going.await();
            Thread.sleep(20);
            handle.close();
            for (Future<Integer> f : results) {
                f.get(60, TimeUnit.SECONDS);  // every thread ends with IllegalStateException
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void closeWhileOtherThreadsPredict() throws Exception {
        float[] x = features(16, 7);
        for (int round = 0; round < 5; round++) {
            Model m = model(7);
            closeDuringCalls(m, m, x, 16);
            Model source = model(8);
            ExportedModel e = ExportedModel.of(source);
            source.close();
            closeDuringCalls(e, e, x, 16);
        }
    }

    /** close() of the model while another thread trains it: fit ends with IllegalStateException. */
    @Test
    void closeDuringFitEndsFitWithIllegalState() throws Exception {
        TabularData t = TabularData.blobs(320, 3, 8);
        Dataset d = Dataset.of("blobs", t.features(), t.labels(), 3);
        Model m = model(9);
        Trainer tr = Trainer.create(m, config(100_000));
        CountDownLatch started = new CountDownLatch(1);
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread fit = new Thread(() -> {
            try {
                tr.fit(d, null, new TrainingListener() {
                    @Override
                    public void onStart(TrainingStart s) {
                        started.countDown();
                    }
                });
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        fit.start();
        assertTrue(started.await(60, TimeUnit.SECONDS));
        Thread.sleep(50);
        m.close();  // closes the trainer first, waiting for the step in flight
        fit.join(60_000);
        assertTrue(outcome.get() instanceof IllegalStateException, "fit ended with " + outcome.get());
        assertTrue(outcome.get().getMessage().contains("closed"), outcome.get().getMessage());
        assertTrue(tr.isClosed());
        d.close();
    }
}
