package io.layerprune.train;

import io.layerprune.EvalMode;
import io.layerprune.TestData;
import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.SectionState;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Training on a real Fashion-MNIST subset (6000 train / 2000 test), width 64, 6 sections. */
class EndToEndTest {
    private static final int D = 64;
    private static final int L = 6;
    private static IdxDataset.Splits splits;

    @BeforeAll
    static void load() {
        assumeTrue(TestData.fashionAvailable(),
                "Fashion-MNIST is not installed in " + TestData.FASHION + ": skipping the end-to-end tests");
        Layerprune.setThreads(2);
        splits = IdxDataset.load(TestData.FASHION, 6000, 2000, 10);
    }

    @AfterAll
    static void close() {
        if (splits != null) {
            splits.close();
        }
    }

    @Test
    void loadsAndStandardisesWithTrainingStatistics() {
        assertEquals(6000, splits.train().size());
        assertEquals(2000, splits.test().size());
        assertEquals(784, splits.train().dim());
        assertEquals(10, splits.train().classes());
        assertEquals("fashion-mnist/train", splits.train().name());
        // Fashion-MNIST pixel/255: mean about 0.286, std about 0.353
        assertEquals(0.286, splits.mean(), 0.01);
        assertEquals(0.353, splits.std(), 0.01);
    }

    @Test
    void trainsPrunesAndAccountsForWhatWasPruned() {
        ResidualMlp.Spec spec = ResidualMlp.builder().inputSize(784).width(D).sections(L).classes(10).seed(1).spec();
        try (Model model = spec.build();
                Trainer trainer = Trainer.create(model, TrainConfig.builder().epochs(2).seed(1).build())) {
            double flopsFull = model.flopsPerSample(EvalMode.DETERMINISTIC);
            List<PruneEvent> prunes = new ArrayList<>();
            List<EpochEvent> epochs = new ArrayList<>();
            TrainingResult r = trainer.fit(splits.train(), splits.test(), new TrainingListener() {
                @Override
                public void onPrune(PruneEvent p) {
                    prunes.add(p);
                }

                @Override
                public void onEpoch(EpochEvent e) {
                    epochs.add(e);
                }
            });

            assertTrue(r.validationAccuracy() > 0.7, "deterministic validation accuracy " + r.validationAccuracy());
            assertTrue(r.validationAccuracyExpected() > 0.7, "expected validation accuracy " + r.validationAccuracyExpected());
            assertEquals(2, epochs.size());
            assertTrue(epochs.get(1).validationAccuracyExpected() > 0.7);
            assertEquals(2 * (6000 / trainer.config().batchSize()), r.steps());

            // Final network: every kept section has theta >= 0.5, every pruned one holds no weights.
            int pruned = 0;
            for (SectionState s : r.sections()) {
                if (s.pruned()) {
                    pruned++;
                    assertEquals(0.0, s.weightNorm2(), 0, "pruned section " + s.index() + " still has weights");
                    assertTrue(s.prunedAtStep() >= 0 && s.prunedAtStep() <= r.steps(), s.toString());
                } else {
                    assertTrue(s.theta() >= 0.5, "kept section " + s.index() + " has theta " + s.theta());
                }
            }
            assertEquals(L - pruned, r.sectionsKept());
            assertEquals(L, r.sectionsTotal());

            // Prune events name exactly the pruned sections.
            Set<Integer> prunedIdx = r.sections().stream().filter(SectionState::pruned).map(SectionState::index)
                    .collect(Collectors.toSet());
            assertEquals(prunedIdx, prunes.stream().map(PruneEvent::section).collect(Collectors.toSet()));
            assertEquals(prunes, r.pruneEvents());

            // Parameters: stem + head + the kept sections (2 D x D matrices + 2 D biases each).
            long stem = 784L * D + D;
            long head = D * 10L + 10;
            long perSection = 2L * D * D + 2L * D;
            assertEquals(stem + head + L * perSection, r.paramsInitial());
            assertEquals(stem + head + (long) (L - pruned) * perSection, r.params());
            assertEquals(model.params(), r.params());

            // FLOPs per sample drop by one section's share per pruned section.
            double flopsBase;
            try (Model empty = spec.build()) {
                for (int i = 0; i < L; i++) {
                    empty.setTheta(i, 0.0);
                }
                empty.determinize();
                assertEquals(0, empty.liveSections());
                flopsBase = empty.flopsPerSample(EvalMode.DETERMINISTIC);
            }
            double perSectionFlops = (flopsFull - flopsBase) / L;
            assertTrue(perSectionFlops > 0);
            assertEquals(flopsFull - pruned * perSectionFlops, r.flopsPerSample(), 1e-6 * flopsFull);
            assertEquals(flopsFull, r.flopsPerSampleInitial(), 1e-6 * flopsFull);

            assertTrue(r.cumulativeTrainingFlops() > 0);
            assertTrue(r.seconds() > 0 && r.samplesPerSecond() > 0);
            for (double tau : r.sectionTau()) {
                assertTrue(tau >= 0 && Double.isFinite(tau), "tau " + tau);
            }
        }
    }

    @Test
    void noGatesKeepsEverySectionAtThetaOne() {
        try (Model model = ResidualMlp.builder().inputSize(784).width(32).sections(3).classes(10).seed(2).build();
                Trainer trainer = Trainer.create(model,
                        TrainConfig.builder().noGates(true).epochs(1).seed(2).build())) {
            TrainingResult r = trainer.fit(splits.train(), splits.test());
            assertEquals(3, r.sectionsKept());
            assertTrue(r.pruneEvents().isEmpty());
            assertEquals(r.paramsInitial(), r.params());
            for (SectionState s : r.sections()) {
                assertFalse(s.pruned());
                assertEquals(1.0, s.theta(), 0);
            }
            assertTrue(r.validationAccuracy() > 0.7, "accuracy " + r.validationAccuracy());
            assertEquals(r.validationAccuracy(), r.validationAccuracyExpected(), 1e-9);
        }
    }
}
