package io.layerprune.train;

import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
    private static void rejects(String field, Consumer<TrainConfig.Builder> change) {
        TrainConfig.Builder b = TrainConfig.defaults().toBuilder();
        change.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith(field + " "), "message should name " + field + ": " + e.getMessage());
    }

    @Test
    void eachFamilyHasItsOwnDefaultsFromTheCore() {
        try (Model mlp = ResidualMlp.builder().inputSize(8).width(8).sections(2).classes(3).build();
                Model resnet = ResNet.builder().depth(20).input(1, 8, 8).classes(3).build()) {
            TrainConfig m = TrainConfig.defaultsFor(mlp);
            TrainConfig r = TrainConfig.defaultsFor(resnet);
            assertEquals(TrainConfig.defaults(), m);
            assertEquals(r, TrainConfig.defaultsFor(resnet.spec()));
            // The CIFAR ResNet recipe: a larger learning rate, weight decay, crop-and-flip augmentation.
            assertTrue(r.etaW() > m.etaW(), r + " vs " + m);
            assertTrue(r.weightDecay() > 0 && m.weightDecay() == 0, r.toString());
            assertTrue(r.augmentPad() > 0 && r.augmentFlip() && m.augmentPad() == 0, r.toString());
            try (Trainer t = Trainer.create(resnet)) {
                assertEquals(r, t.config(), "Trainer.create(model) takes the model's defaults");
            }
        }
    }

    @Test
    void defaultsFollowAlgorithmSection6() {
        // ALGORITHM.md section 6, with this library's departures (docs/ALGORITHM.md): the budgeted
        // estimator and the evidence rule, whose eta_theta is per tau_l of supported gradient.
        TrainConfig d = TrainConfig.defaults();
        assertEquals(Estimator.BUDGETED, d.estimator());
        assertEquals(0.05, d.estimatorBudget(), 1e-12);
        assertEquals(PruningRule.EVIDENCE, d.pruningRule());
        assertEquals(0.25, d.estimatorFraction(), 1e-12);
        assertEquals(0.02, d.lambda(), 1e-12);  // native default since 7756110 (chosen on a validation split)
        assertNull(d.tau());
        assertEquals(1e-3, d.s2(), 1e-15);
        assertEquals(1.0, d.theta0(), 0);
        assertEquals(0.005, d.etaTheta(), 1e-12);
        assertEquals(20, d.patience());
        assertEquals(0.0, d.thetaMin(), 0);
        assertEquals(0.02, d.etaW(), 1e-12);
        assertEquals(Schedule.COSINE, d.schedule());
        assertEquals(0.9, d.momentum(), 1e-12);
        assertEquals(2.0, d.clipNorm(), 1e-12);
        assertEquals(0.0, d.weightDecay(), 0);
        assertEquals(false, d.noGates());
        assertEquals(TrainConfig.DEFAULT_EPOCHS, d.epochs());
        assertTrue(d.batchSize() > 0);
    }

    @Test
    void invalidValuesNameTheField() {
        rejects("etaW", b -> b.etaW(Double.NaN));
        rejects("etaW", b -> b.etaW(Double.POSITIVE_INFINITY));
        rejects("lambda", b -> b.lambda(-0.5));
        rejects("tau", b -> b.tau(-1));
        rejects("s2", b -> b.s2(0));
        rejects("theta0", b -> b.theta0(1.5));
        rejects("etaTheta", b -> b.etaTheta(Double.NaN));
        rejects("momentum", b -> b.momentum(1.0));
        rejects("clipNorm", b -> b.clipNorm(-1));
        rejects("weightDecay", b -> b.weightDecay(-1e-4));
        rejects("estimatorFraction", b -> b.estimatorFraction(0));
        rejects("estimatorFraction", b -> b.estimatorFraction(1.5));
        rejects("batchSize", b -> b.batchSize(0));
        rejects("epochs", b -> b.epochs(-1));
        rejects("patience", b -> b.patience(-3));
    }

    @Test
    void messageShowsTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.builder().lambda(-2).build());
        assertEquals("lambda must be >= 0, got -2", e.getMessage());
    }

    @Test
    void lambdaAndTauReplaceEachOther() {
        TrainConfig withTau = TrainConfig.builder().tau(0.05).build();
        assertEquals(0.05, withTau.tau(), 0);
        TrainConfig back = withTau.toBuilder().lambda(0.3).build();
        assertNull(back.tau());
        assertEquals(0.3, back.lambda(), 0);
    }

    @Test
    void toBuilderKeepsEveryField() {
        TrainConfig c = TrainConfig.builder().lambda(0.02).s2(2e-3).theta0(0.9).etaTheta(0.1).patience(5)
                .thetaMin(0.01).etaW(0.05).momentum(0.8).clipNorm(1).weightDecay(1e-4).schedule(Schedule.STEP)
                .totalSteps(100).stepEvery(10).stepGamma(0.5).estimator(Estimator.SCORE_FUNCTION)
                .estimatorFraction(0.5).noGates(true).trainSize(1000).batchSize(32).epochs(3).seed(7).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(c.toString(), c.toBuilder().build().toString());
    }

    @Test
    void widthZeroInTheModelBuilderNamesTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResidualMlp.builder().inputSize(4).classes(2).width(0).spec());
        assertEquals("width must be > 0, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResidualMlp.builder().inputSize(4).classes(1).build());
        assertTrue(e.getMessage().startsWith("classes "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResidualMlp.builder().inputSize(4).classes(2).sections(-1).build());
        assertTrue(e.getMessage().startsWith("sections "), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ResidualMlp.builder().inputSize(0).classes(2).build());
        assertTrue(e.getMessage().startsWith("inputSize "), e.getMessage());
    }

    @Test
    void estimatorAndScheduleNames() {
        assertEquals(Estimator.LINEARIZED_SKIP, Estimator.fromName("linearized-skip"));
        assertEquals(Estimator.TWO_POINT, Estimator.fromName("TWO_POINT"));
        assertEquals("score-function", Estimator.SCORE_FUNCTION.cliName());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Estimator.fromName("magic"));
        assertTrue(e.getMessage().contains("magic") && e.getMessage().contains("two-point"), e.getMessage());
        assertEquals(Schedule.COSINE, Schedule.fromName("cosine"));
    }
}
