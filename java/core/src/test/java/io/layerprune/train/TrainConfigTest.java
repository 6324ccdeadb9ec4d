package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Model;
import io.layerprune.model.Precision;
import io.layerprune.model.SectionState;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
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
        assertEquals(Precision.FP32, d.precision());
    }

    @Test
    void precisionRoundTripsThroughTheBuilderAndTheNativeStruct() {
        // The default is the core's (fp32, every family), and the field travels to the C struct and back.
        try (Model resnet = ResNet.builder().depth(20).input(1, 8, 8).classes(3).build()) {
            assertEquals(Precision.FP32, TrainConfig.defaultsFor(resnet).precision());
        }
        TrainConfig bf16 = TrainConfig.builder().precision(Precision.BF16).build();
        assertEquals(Precision.BF16, bf16.precision());
        assertEquals(bf16, bf16.toBuilder().build());
        assertNotEquals(TrainConfig.defaults(), bf16);
        assertTrue(bf16.toString().contains("precision=bf16"), bf16.toString());
        assertEquals(Precision.FP32, bf16.toBuilder().precision(Precision.FP32).build().precision());
        try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
            LayerpruneNative.train_config_defaults(c);
            assertEquals(LayerpruneNative.PRECISION_FP32, c.precision());
            bf16.toNative(c, bf16.lambda(), 100, 10);
            assertEquals(LayerpruneNative.PRECISION_BF16, c.precision());
            assertEquals("", Native.call(() -> LayerpruneNative.train_config_problem(c)));
            TrainConfig.defaults().toNative(c, 0.02, 100, 10);
            assertEquals(LayerpruneNative.PRECISION_FP32, c.precision());
        }
        NullPointerException e = assertThrows(NullPointerException.class,
                () -> TrainConfig.builder().precision(null).build());
        assertTrue(e.getMessage().contains("precision"), e.getMessage());
    }

    @Test
    void precisionNames() {
        assertEquals(Precision.BF16, Precision.fromName("bf16"));
        assertEquals(Precision.FP32, Precision.fromName("FP32"));
        assertEquals("bf16", Precision.BF16.cliName());
        assertEquals("fp32", Precision.FP32.toString());
        assertEquals(Precision.BF16, Precision.fromCode(LayerpruneNative.PRECISION_BF16));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Precision.fromName("fp16"));
        assertEquals("unknown precision 'fp16', expected one of fp32, bf16", e.getMessage());
        assertEquals(java.util.Optional.empty(), Precision.FP32.unsupportedReason(), "fp32 runs everywhere");
        Precision.BF16.unsupportedReason().ifPresent(r -> assertTrue(r.contains("bf16"), r));
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
        // the checks the builder once lacked or applied only with the step schedule, now the core's
        rejects("stepEvery", b -> b.stepEvery(-1));
        rejects("stepGamma", b -> b.stepGamma(0));
        rejects("thetaStepEvery", b -> b.thetaStepEvery(-1));
        rejects("thetaStepGamma", b -> b.thetaStepGamma(Double.NaN));
        rejects("thetaSchedule", b -> b.thetaSchedule(Schedule.COSINE));
        rejects("totalSteps", b -> b.totalSteps(-1));
        rejects("thetaFreezeSteps", b -> b.thetaFreezeSteps(-1));
        rejects("augmentPad", b -> b.augmentPad(65));
        rejects("trainSize", b -> b.trainSize(-1));
    }

    @Test
    void theCoresFieldNamesBecomeTheBuildersNames() {
        assertEquals("etaW must be > 0, got 0", TrainConfig.Builder.javaFieldNames("eta_w must be > 0, got 0"));
        assertEquals("thetaStepGamma must x", TrainConfig.Builder.javaFieldNames("theta_step_gamma must x"));
        assertEquals("s2 must x", TrainConfig.Builder.javaFieldNames("s2 must x"));
        assertEquals("theta0", TrainConfig.Builder.javaFieldNames("theta0"));
        // every name the core can report is a method of the builder
        for (String nativeField : new String[] {"lambda", "s2", "theta0", "eta_theta", "patience", "theta_min",
                "eta_w", "momentum", "clip_norm", "weight_decay", "schedule", "total_steps", "step_every",
                "step_gamma", "estimator", "estimator_fraction", "estimator_budget", "pruning_rule",
                "evidence_horizon", "evidence_z", "prior_scaling", "prior_norm", "theta_schedule", "theta_step_every",
                "theta_step_gamma", "augment_pad", "theta_freeze_steps", "augment_flip", "no_gates",
                "train_size", "batch_size", "precision"}) {
            String javaName = TrainConfig.Builder.javaFieldNames(nativeField);
            assertTrue(java.util.Arrays.stream(TrainConfig.Builder.class.getMethods())
                    .anyMatch(m -> m.getName().equals(javaName)), "no builder method " + javaName);
        }
    }

    private static double lambdaForTau(Model model, double tau, double n) {
        LayerpruneNative.Model m = NativeHandle.pointer(model, LayerpruneNative.Model.class);
        return Native.callDouble(() -> LayerpruneNative.train_config_lambda_for_tau(m, tau, n));
    }

    @Test
    void lambdaFromTauComesFromTheCoreAndEqualsTheFormula() {
        // Trainer.fit resolves tau through the core's train_config_lambda_for_tau; the Java formula it
        // replaced (2 N tau / max_l n_l, 0 without sections) must give the same double, bit for bit.
        try (Model mlp = ResidualMlp.builder().inputSize(8).width(12).sections(3).classes(3).build();
                Model wide = ResidualMlp.builder().inputSize(5).width(37).sections(1).classes(2).build();
                Model none = ResidualMlp.builder().inputSize(8).width(12).sections(0).classes(3).build();
                Model resnet = ResNet.builder().depth(20).input(1, 8, 8).classes(3).build()) {
            for (Model m : List.of(mlp, wide, none, resnet)) {
                long maxWeights = m.sectionStates().stream().mapToLong(SectionState::weights).max().orElse(0);
                for (double tau : new double[] {0, 0.004, 0.05, 1.0 / 3, 7.25}) {
                    for (long n : new long[] {1, 512, 50_000, 60_000, 1_281_167}) {
                        double expected = maxWeights > 0 ? 2.0 * n * tau / maxWeights : 0.0;
                        assertEquals(Double.doubleToLongBits(expected), Double.doubleToLongBits(lambdaForTau(m, tau, n)),
                                "tau " + tau + ", N " + n + ", max n_l " + maxWeights);
                    }
                }
            }
            RuntimeException e = assertThrows(RuntimeException.class, () -> lambdaForTau(mlp, -1, 100));
            assertTrue(e.getMessage().contains("tau must be >= 0, got -1"), e.getMessage());
            e = assertThrows(RuntimeException.class, () -> lambdaForTau(mlp, 0.1, 0));
            assertTrue(e.getMessage().contains("training-set size must be > 0"), e.getMessage());
        }
    }

    /** The core's validation (trainer_create) of the defaults with one native field changed. */
    private static void coreRejects(Model model, String field, Consumer<LayerpruneNative.TrainConfig> change) {
        LayerpruneNative.Model m = NativeHandle.pointer(model, LayerpruneNative.Model.class);
        try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
            TrainConfig.defaults().toNative(c, TrainConfig.defaults().lambda(), 100, 10);
            change.accept(c);
            RuntimeException e = assertThrows(RuntimeException.class, () -> Native.call(() -> {
                LayerpruneNative.Trainer t = LayerpruneNative.trainer_create(m, c);
                LayerpruneNative.trainer_destroy(t);
                return null;
            }));
            assertTrue(e.getMessage().contains("invalid training configuration") && e.getMessage().contains(field),
                    "the core should name " + field + ": " + e.getMessage());
        }
    }

    @Test
    void theCoreRejectsWhatTheBuilderRejects() {
        // The builder checks eagerly and names the Java fields; the core checks every config it is given
        // (CLI-free callers, checkpoints). The two must not drift apart: each value the builder refuses
        // above (invalidValuesNameTheField) for a field the core has, the core refuses too.
        try (Model model = ResidualMlp.builder().inputSize(8).width(8).sections(2).classes(3).build()) {
            coreRejects(model, "eta_w", c -> c.eta_w(Double.NaN));
            coreRejects(model, "eta_w", c -> c.eta_w(Double.POSITIVE_INFINITY));
            coreRejects(model, "eta_w", c -> c.eta_w(0));
            coreRejects(model, "lambda", c -> c.lambda(-0.5));
            coreRejects(model, "s2", c -> c.s2(0));
            coreRejects(model, "theta0", c -> c.theta0(1.5));
            coreRejects(model, "eta_theta", c -> c.eta_theta(Double.NaN));
            coreRejects(model, "theta_min", c -> c.theta_min(1.5));
            coreRejects(model, "momentum", c -> c.momentum(1.0));
            coreRejects(model, "clip_norm", c -> c.clip_norm(-1));
            coreRejects(model, "weight_decay", c -> c.weight_decay(-1e-4));
            coreRejects(model, "estimator_fraction", c -> c.estimator_fraction(0));
            coreRejects(model, "estimator_fraction", c -> c.estimator_fraction(1.5));
            coreRejects(model, "estimator_budget", c -> c.estimator_budget(0));
            coreRejects(model, "evidence_horizon", c -> c.evidence_horizon(0.5));
            coreRejects(model, "evidence_z", c -> c.evidence_z(-1));
            coreRejects(model, "batch_size", c -> c.batch_size(0));
            coreRejects(model, "precision", c -> c.precision(2));
            coreRejects(model, "precision", c -> c.precision(-1));
            coreRejects(model, "patience", c -> c.patience(-3));
            coreRejects(model, "total_steps", c -> c.total_steps(-1));
            coreRejects(model, "theta_freeze_steps", c -> c.theta_freeze_steps(-1));
            coreRejects(model, "augment_pad", c -> c.augment_pad(65));
            coreRejects(model, "train_size", c -> c.train_size(-1));
            coreRejects(model, "step_every", c -> c.schedule(LayerpruneNative.SCHEDULE_STEP).step_every(0));
            coreRejects(model, "theta_step_every",
                    c -> c.theta_schedule(LayerpruneNative.SCHEDULE_STEP).theta_step_every(0));
        }
        rejects("thetaMin", b -> b.thetaMin(1.5));
        rejects("evidenceHorizon", b -> b.evidenceHorizon(0.5));
        rejects("estimatorBudget", b -> b.estimatorBudget(0));
    }

    @Test
    void messageShowsTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TrainConfig.builder().lambda(-2).build());
        assertEquals("lambda must be a finite number >= 0, got -2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.builder().etaW(0).build());
        assertEquals("etaW must be a finite number > 0, got 0", e.getMessage());
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
                .estimatorFraction(0.5).noGates(true).trainSize(1000).batchSize(32).epochs(3).seed(7)
                .precision(Precision.BF16).build();
        assertEquals(c, c.toBuilder().build());
        assertEquals(c.toString(), c.toBuilder().build().toString());
        assertEquals(Precision.BF16, c.toBuilder().build().precision());
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
