package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.Precision;
import java.util.Objects;

/**
 * Every hyper-parameter of training (ALGORITHM.md section 6), immutable. Start from
 * {@link #defaults()} (the native core's defaults, the single source of truth, plus
 * {@code epochs = 10}) and change fields with {@link #toBuilder()}:
 *
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.defaults().toBuilder().tau(0.05).epochs(2).build();
 * }</pre>
 *
 * <p>The prior strength is given either as {@code lambda} or as a target threshold {@code tau}
 * (then {@code lambda = 2 N tau / max_l n_l} is computed by the native core when training starts,
 * with N the training-set size). Setting one clears the other.
 *
 * <p>{@link Builder#build()} validates every field eagerly and names it as the builder does
 * ({@code etaW}); the native core validates the same fields again when a trainer is created (its
 * messages name the C fields, {@code eta_w}), and {@code TrainConfigTest} checks that the two agree.
 */
public final class TrainConfig {
    /** Java-side default of {@link #epochs()}. */
    public static final int DEFAULT_EPOCHS = 10;

    private static volatile TrainConfig defaults;

    private final double lambda;
    private final Double tau;
    private final double s2;
    private final double theta0;
    private final double etaTheta;
    private final int patience;
    private final double thetaMin;
    private final double etaW;
    private final double momentum;
    private final double clipNorm;
    private final double weightDecay;
    private final Schedule schedule;
    private final long totalSteps;
    private final long stepEvery;
    private final double stepGamma;
    private final Estimator estimator;
    private final double estimatorFraction;
    private final double estimatorBudget;
    private final PruningRule pruningRule;
    private final double evidenceHorizon;
    private final double evidenceZ;
    private final PriorScaling priorScaling;
    private final PriorNorm priorNorm;
    private final Schedule thetaSchedule;
    private final long thetaStepEvery;
    private final double thetaStepGamma;
    private final int augmentPad;
    private final long thetaFreezeSteps;
    private final boolean augmentFlip;
    private final boolean noGates;
    private final long trainSize;
    private final int batchSize;
    private final int epochs;
    private final long seed;
    private final Precision precision;

    private TrainConfig(Builder b) {
        lambda = b.lambda;
        tau = b.tau;
        s2 = b.s2;
        theta0 = b.theta0;
        etaTheta = b.etaTheta;
        patience = b.patience;
        thetaMin = b.thetaMin;
        etaW = b.etaW;
        momentum = b.momentum;
        clipNorm = b.clipNorm;
        weightDecay = b.weightDecay;
        schedule = b.schedule;
        totalSteps = b.totalSteps;
        stepEvery = b.stepEvery;
        stepGamma = b.stepGamma;
        estimator = b.estimator;
        estimatorFraction = b.estimatorFraction;
        estimatorBudget = b.estimatorBudget;
        pruningRule = b.pruningRule;
        evidenceHorizon = b.evidenceHorizon;
        evidenceZ = b.evidenceZ;
        priorScaling = b.priorScaling;
        priorNorm = b.priorNorm;
        thetaSchedule = b.thetaSchedule;
        thetaStepEvery = b.thetaStepEvery;
        thetaStepGamma = b.thetaStepGamma;
        augmentPad = b.augmentPad;
        thetaFreezeSteps = b.thetaFreezeSteps;
        augmentFlip = b.augmentFlip;
        noGates = b.noGates;
        trainSize = b.trainSize;
        batchSize = b.batchSize;
        epochs = b.epochs;
        seed = b.seed;
        precision = b.precision;
    }

    /** The native core's defaults ({@code train_config_defaults}) with {@code epochs = 10}. */
    public static TrainConfig defaults() {
        TrainConfig d = defaults;
        if (d == null) {
            d = Native.call(() -> {
                try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
                    LayerpruneNative.train_config_defaults(c);
                    return fromNative(c);
                }
            });
            defaults = d;
        }
        return d;
    }

    /**
     * The training defaults of a model's architecture family, from the native core (the single
     * source): ResNets get learning rate 0.1, weight decay 5e-4 and crop-and-flip augmentation,
     * for instance, where the MLP gets {@link #defaults()}.
     */
    public static TrainConfig defaultsFor(Model model) {
        Objects.requireNonNull(model, "model");
        LayerpruneNative.Model m = NativeHandle.pointer(model, LayerpruneNative.Model.class);
        int family = Native.callInt(() -> LayerpruneNative.model_family(m));
        return defaultsForFamily(family);
    }

    /** The training defaults of an architecture not yet built. */
    public static TrainConfig defaultsFor(ModelSpec spec) {
        Objects.requireNonNull(spec, "spec");
        return defaultsForFamily(spec.family());
    }

    /** The defaults of an architecture family (a {@code LayerpruneNative.FAMILY_*} code). */
    static TrainConfig defaultsForFamily(int family) {
        return Native.call(() -> {
            try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
                LayerpruneNative.train_config_defaults_for_family(family, c);
                return fromNative(c);
            }
        });
    }

    private static TrainConfig fromNative(LayerpruneNative.TrainConfig c) {
        Builder b = new Builder();
        b.lambda = c.lambda();
        b.tau = null;
        b.s2 = c.s2();
        b.theta0 = c.theta0();
        b.etaTheta = c.eta_theta();
        b.patience = c.patience();
        b.thetaMin = c.theta_min();
        b.etaW = c.eta_w();
        b.momentum = c.momentum();
        b.clipNorm = c.clip_norm();
        b.weightDecay = c.weight_decay();
        b.schedule = Schedule.fromCode(c.schedule());
        b.totalSteps = c.total_steps();
        b.stepEvery = c.step_every();
        b.stepGamma = c.step_gamma();
        b.estimator = Estimator.fromCode(c.estimator());
        b.estimatorFraction = c.estimator_fraction();
        b.estimatorBudget = c.estimator_budget();
        b.pruningRule = PruningRule.fromCode(c.pruning_rule());
        b.evidenceHorizon = c.evidence_horizon();
        b.evidenceZ = c.evidence_z();
        b.priorScaling = PriorScaling.fromCode(c.prior_scaling());
        b.priorNorm = PriorNorm.fromCode(c.prior_norm());
        b.thetaSchedule = Schedule.fromCode(c.theta_schedule());
        b.thetaStepEvery = c.theta_step_every();
        b.thetaStepGamma = c.theta_step_gamma();
        b.augmentPad = c.augment_pad();
        b.thetaFreezeSteps = c.theta_freeze_steps();
        b.augmentFlip = c.augment_flip() != 0;
        b.noGates = c.no_gates() != 0;
        b.trainSize = c.train_size();
        b.batchSize = c.batch_size();
        b.epochs = DEFAULT_EPOCHS;
        b.seed = c.seed();
        b.precision = Precision.fromCode(c.precision());
        return b.build();
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return defaults().toBuilder();
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.lambda = lambda;
        b.tau = tau;
        b.s2 = s2;
        b.theta0 = theta0;
        b.etaTheta = etaTheta;
        b.patience = patience;
        b.thetaMin = thetaMin;
        b.etaW = etaW;
        b.momentum = momentum;
        b.clipNorm = clipNorm;
        b.weightDecay = weightDecay;
        b.schedule = schedule;
        b.totalSteps = totalSteps;
        b.stepEvery = stepEvery;
        b.stepGamma = stepGamma;
        b.estimator = estimator;
        b.estimatorFraction = estimatorFraction;
        b.estimatorBudget = estimatorBudget;
        b.pruningRule = pruningRule;
        b.evidenceHorizon = evidenceHorizon;
        b.evidenceZ = evidenceZ;
        b.priorScaling = priorScaling;
        b.priorNorm = priorNorm;
        b.thetaSchedule = thetaSchedule;
        b.thetaStepEvery = thetaStepEvery;
        b.thetaStepGamma = thetaStepGamma;
        b.augmentPad = augmentPad;
        b.thetaFreezeSteps = thetaFreezeSteps;
        b.augmentFlip = augmentFlip;
        b.noGates = noGates;
        b.trainSize = trainSize;
        b.batchSize = batchSize;
        b.epochs = epochs;
        b.seed = seed;
        b.precision = precision;
        return b;
    }

    /** Copies into a native struct, with the lambda, N and schedule horizon resolved by the trainer. */
    void toNative(LayerpruneNative.TrainConfig c, double resolvedLambda, long resolvedTrainSize,
            long resolvedTotalSteps) {
        c.lambda(resolvedLambda)
                .s2(s2)
                .theta0(theta0)
                .eta_theta(etaTheta)
                .patience(patience)
                .theta_min(thetaMin)
                .eta_w(etaW)
                .momentum(momentum)
                .clip_norm(clipNorm)
                .weight_decay(weightDecay)
                .schedule(schedule.code())
                .total_steps(resolvedTotalSteps)
                .step_every(stepEvery)
                .step_gamma(stepGamma)
                .estimator(estimator.code())
                .estimator_fraction(estimatorFraction)
                .estimator_budget(estimatorBudget)
                .pruning_rule(pruningRule.code())
                .evidence_horizon(evidenceHorizon)
                .evidence_z(evidenceZ)
                .prior_scaling(priorScaling.code())
                .prior_norm(priorNorm.code())
                .theta_schedule(thetaSchedule.code())
                .theta_step_every(thetaStepEvery)
                .theta_step_gamma(thetaStepGamma)
                .augment_pad(augmentPad)
                .theta_freeze_steps(thetaFreezeSteps)
                .augment_flip(augmentFlip ? 1 : 0)
                .no_gates(noGates ? 1 : 0)
                .train_size(resolvedTrainSize)
                .batch_size(batchSize)
                .seed(seed)
                .precision(precision.code());
    }

    /** Prior strength lambda; meaningful when {@link #tau()} is null. */
    public double lambda() {
        return lambda;
    }

    /** Target threshold tau (nats), or null when lambda is given directly. */
    public Double tau() {
        return tau;
    }

    /** Per-weight variance floor s2 (> 0). */
    public double s2() {
        return s2;
    }

    /** Initial theta. */
    public double theta0() {
        return theta0;
    }

    /** Learning rate of theta (constant). */
    public double etaTheta() {
        return etaTheta;
    }

    /** Steps at theta == 0 before a section is pruned. */
    public int patience() {
        return patience;
    }

    /** Prune below this theta (0 = off). */
    public double thetaMin() {
        return thetaMin;
    }

    /** Peak learning rate of the weights. */
    public double etaW() {
        return etaW;
    }

    /** SGD momentum of the weights. */
    public double momentum() {
        return momentum;
    }

    /** Global gradient-norm clip (0 = off). */
    public double clipNorm() {
        return clipNorm;
    }

    /** Weight decay on stem, head and skip projections. */
    public double weightDecay() {
        return weightDecay;
    }

    /** Learning-rate schedule of the weights. */
    public Schedule schedule() {
        return schedule;
    }

    /** Schedule horizon in steps (0 = epochs x steps per epoch). */
    public long totalSteps() {
        return totalSteps;
    }

    /** {@link Schedule#STEP}: decay period in steps. */
    public long stepEvery() {
        return stepEvery;
    }

    /** {@link Schedule#STEP}: decay factor. */
    public double stepGamma() {
        return stepGamma;
    }

    /** Estimator of the data gradient of theta. */
    public Estimator estimator() {
        return estimator;
    }

    /** Two-point: fraction of the live sections re-run per step. */
    public double estimatorFraction() {
        return estimatorFraction;
    }

    /** Budgeted estimator: expected FLOPs of its re-runs as a fraction of the live network's training step. */
    public double estimatorBudget() {
        return estimatorBudget;
    }

    /** How theta follows its gradient estimates (docs/ALGORITHM.md "Pruning rule"). */
    public PruningRule pruningRule() {
        return pruningRule;
    }

    /** Evidence rule: steps the running mean of each section's estimates weighs. */
    public double evidenceHorizon() {
        return evidenceHorizon;
    }

    /** Evidence rule: standard errors the running mean must clear before theta moves. */
    public double evidenceZ() {
        return evidenceZ;
    }

    /** How the prior's strength is shared out among sections (per FLOP by default). */
    public PriorScaling priorScaling() {
        return priorScaling;
    }

    /** Which ||W_l||^2 the prior reads: the weights' current one or the initialisation's (ResNet default). */
    public PriorNorm priorNorm() {
        return priorNorm;
    }

    /** Schedule of eta_theta: {@link Schedule#CONSTANT} (default) or {@link Schedule#STEP}. */
    public Schedule thetaSchedule() {
        return thetaSchedule;
    }

    /** eta_theta {@link Schedule#STEP}: decay period in steps. */
    public long thetaStepEvery() {
        return thetaStepEvery;
    }

    /** eta_theta {@link Schedule#STEP}: decay factor. */
    public double thetaStepGamma() {
        return thetaStepGamma;
    }

    /** Steps at the start during which theta is held: no estimator, no theta update, no pruning. */
    public long thetaFreezeSteps() {
        return thetaFreezeSteps;
    }

    /** Image models: random crop of the image padded by this many pixels (0 = off). */
    public int augmentPad() {
        return augmentPad;
    }

    /** Image models: random horizontal flip. */
    public boolean augmentFlip() {
        return augmentFlip;
    }

    /** Plain residual network: theta fixed at 1, no prior, no estimator, no pruning. */
    public boolean noGates() {
        return noGates;
    }

    /** N in the objective (0 = size of the training set). */
    public long trainSize() {
        return trainSize;
    }

    /** Training mini-batch size. */
    public int batchSize() {
        return batchSize;
    }

    /** Passes over the training set. */
    public int epochs() {
        return epochs;
    }

    /** Seed of gates, estimator subsets and shuffling. */
    public long seed() {
        return seed;
    }

    /**
     * Precision of the matrix products while training and in the run's evaluations ({@link Precision#FP32}
     * by default; {@link Precision#BF16}: bf16 inputs, f32 accumulation, f32 weights). The trainer sets its
     * model to it when {@code fit} starts.
     */
    public Precision precision() {
        return precision;
    }

    @Override
    public String toString() {
        return "TrainConfig[" + (tau != null ? "tau=" + tau : "lambda=" + lambda) + ", s2=" + s2 + ", theta0="
                + theta0 + ", etaTheta=" + etaTheta + ", patience=" + patience + ", thetaMin=" + thetaMin
                + ", etaW=" + etaW + ", momentum=" + momentum + ", clipNorm=" + clipNorm + ", weightDecay="
                + weightDecay + ", schedule=" + schedule + ", totalSteps=" + totalSteps + ", stepEvery=" + stepEvery
                + ", stepGamma=" + stepGamma + ", estimator=" + estimator + ", estimatorFraction="
                + estimatorFraction + ", estimatorBudget=" + estimatorBudget + ", pruningRule=" + pruningRule
                + ", evidenceHorizon=" + evidenceHorizon + ", evidenceZ=" + evidenceZ + ", priorScaling=" + priorScaling
                + ", priorNorm=" + priorNorm
                + ", thetaSchedule=" + thetaSchedule + ", thetaStepEvery=" + thetaStepEvery
                + ", thetaStepGamma=" + thetaStepGamma + ", thetaFreezeSteps=" + thetaFreezeSteps
                + ", augmentPad=" + augmentPad + ", augmentFlip=" + augmentFlip + ", noGates=" + noGates
                + ", trainSize=" + trainSize
                + ", batchSize="
                + batchSize + ", epochs=" + epochs + ", seed=" + seed + ", precision=" + precision + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TrainConfig && toString().equals(o.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** Mutable builder; {@link #build()} validates every field. */
    public static final class Builder {
        private double lambda;
        private Double tau;
        private double s2;
        private double theta0;
        private double etaTheta;
        private int patience;
        private double thetaMin;
        private double etaW;
        private double momentum;
        private double clipNorm;
        private double weightDecay;
        private Schedule schedule;
        private long totalSteps;
        private long stepEvery;
        private double stepGamma;
        private Estimator estimator;
        private double estimatorFraction;
        private double estimatorBudget;
        private PruningRule pruningRule;
        private double evidenceHorizon;
        private double evidenceZ;
        private PriorScaling priorScaling;
        private PriorNorm priorNorm;
        private Schedule thetaSchedule;
        private long thetaStepEvery;
        private double thetaStepGamma;
        private int augmentPad;
        private long thetaFreezeSteps;
        private boolean augmentFlip;
        private boolean noGates;
        private long trainSize;
        private int batchSize;
        private int epochs;
        private long seed;
        private Precision precision;

        private Builder() {}

        /** Prior strength (>= 0); clears a tau set before. 0 is not "pruning off": see {@link #noGates}. */
        public Builder lambda(double lambda) {
            this.lambda = lambda;
            this.tau = null;
            return this;
        }

        /** Target threshold in nats (>= 0): lambda = 2 N tau / max_l n_l at training start. */
        public Builder tau(double tau) {
            this.tau = tau;
            return this;
        }

        public Builder s2(double s2) {
            this.s2 = s2;
            return this;
        }

        public Builder theta0(double theta0) {
            this.theta0 = theta0;
            return this;
        }

        public Builder etaTheta(double etaTheta) {
            this.etaTheta = etaTheta;
            return this;
        }

        public Builder patience(int patience) {
            this.patience = patience;
            return this;
        }

        public Builder thetaMin(double thetaMin) {
            this.thetaMin = thetaMin;
            return this;
        }

        public Builder etaW(double etaW) {
            this.etaW = etaW;
            return this;
        }

        public Builder momentum(double momentum) {
            this.momentum = momentum;
            return this;
        }

        public Builder clipNorm(double clipNorm) {
            this.clipNorm = clipNorm;
            return this;
        }

        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        public Builder schedule(Schedule schedule) {
            this.schedule = schedule;
            return this;
        }

        public Builder totalSteps(long totalSteps) {
            this.totalSteps = totalSteps;
            return this;
        }

        public Builder stepEvery(long stepEvery) {
            this.stepEvery = stepEvery;
            return this;
        }

        public Builder stepGamma(double stepGamma) {
            this.stepGamma = stepGamma;
            return this;
        }

        public Builder estimator(Estimator estimator) {
            this.estimator = estimator;
            return this;
        }

        public Builder estimatorFraction(double estimatorFraction) {
            this.estimatorFraction = estimatorFraction;
            return this;
        }

        /** Budgeted estimator: expected re-run FLOPs / the live network's training step, in (0, 1]. */
        public Builder estimatorBudget(double estimatorBudget) {
            this.estimatorBudget = estimatorBudget;
            return this;
        }

        public Builder pruningRule(PruningRule pruningRule) {
            this.pruningRule = pruningRule;
            return this;
        }

        /** Evidence rule: steps the running mean weighs (>= 1). */
        public Builder evidenceHorizon(double evidenceHorizon) {
            this.evidenceHorizon = evidenceHorizon;
            return this;
        }

        /** Evidence rule: standard errors the running mean must clear (>= 0). */
        public Builder evidenceZ(double evidenceZ) {
            this.evidenceZ = evidenceZ;
            return this;
        }

        /** How the prior's strength is shared out among sections. */
        public Builder priorScaling(PriorScaling priorScaling) {
            this.priorScaling = priorScaling;
            return this;
        }

        /** Which ||W_l||^2 the prior reads (docs/ALGORITHM.md section 2). */
        public Builder priorNorm(PriorNorm priorNorm) {
            this.priorNorm = priorNorm;
            return this;
        }

        /** Schedule of eta_theta: {@link Schedule#CONSTANT} or {@link Schedule#STEP} (cosine is not offered). */
        public Builder thetaSchedule(Schedule thetaSchedule) {
            this.thetaSchedule = thetaSchedule;
            return this;
        }

        /** eta_theta step schedule: multiply eta_theta by {@link #thetaStepGamma} every this many steps. */
        public Builder thetaStepEvery(long thetaStepEvery) {
            this.thetaStepEvery = thetaStepEvery;
            return this;
        }

        public Builder thetaStepGamma(double thetaStepGamma) {
            this.thetaStepGamma = thetaStepGamma;
            return this;
        }

        /** Holds theta for the first steps (ALGORITHM.md section 7, "theta frozen for epoch 1"). */
        public Builder thetaFreezeSteps(long thetaFreezeSteps) {
            this.thetaFreezeSteps = thetaFreezeSteps;
            return this;
        }

        /** Image models: random crop of the image padded by {@code pad} pixels (0 = off). */
        public Builder augmentPad(int augmentPad) {
            this.augmentPad = augmentPad;
            return this;
        }

        /** Image models: random horizontal flip. */
        public Builder augmentFlip(boolean augmentFlip) {
            this.augmentFlip = augmentFlip;
            return this;
        }

        public Builder noGates(boolean noGates) {
            this.noGates = noGates;
            return this;
        }

        public Builder trainSize(long trainSize) {
            this.trainSize = trainSize;
            return this;
        }

        public Builder batchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder epochs(int epochs) {
            this.epochs = epochs;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Precision of the matrix products while training: {@link Precision#BF16} needs a CPU with
         * AVX512-BF16 or AMX-BF16 ({@link Precision#unsupportedReason()}); elsewhere {@code fit} throws
         * a {@link io.layerprune.LayerpruneException} that says why, before training anything.
         */
        public Builder precision(Precision precision) {
            this.precision = precision;
            return this;
        }

        /**
         * Validates and builds; IllegalArgumentException names the first bad field (its Java name) and
         * its value. The rules are the native core's ({@code train_config_problem}, the same check
         * {@code trainer_create} applies), so the builder and the core cannot drift apart; only the
         * fields the core never sees ({@code tau}, {@code epochs}) are checked here.
         */
        public TrainConfig build() {
            Objects.requireNonNull(schedule, "schedule");
            Objects.requireNonNull(estimator, "estimator");
            Objects.requireNonNull(pruningRule, "pruningRule");
            Objects.requireNonNull(priorScaling, "priorScaling");
            Objects.requireNonNull(priorNorm, "priorNorm");
            Objects.requireNonNull(thetaSchedule, "thetaSchedule");
            Objects.requireNonNull(precision, "precision");
            if (tau != null) {
                atLeast("tau", tau, 0);
            }
            atLeast("epochs", epochs, 0);
            TrainConfig config = new TrainConfig(this);
            String problem = Native.call(() -> {
                try (LayerpruneNative.TrainConfig c = new LayerpruneNative.TrainConfig()) {
                    // with tau, lambda is resolved per model at fit time: any valid value stands in
                    config.toNative(c, tau != null ? 0.0 : lambda, trainSize, totalSteps);
                    String text = LayerpruneNative.train_config_problem(c);
                    return text == null ? "" : text;
                }
            });
            if (!problem.isEmpty()) {
                throw new IllegalArgumentException(javaFieldNames(problem));
            }
            return config;
        }

        /** The core's message with its leading snake_case field name in this builder's camelCase. */
        static String javaFieldNames(String problem) {
            int end = problem.indexOf(' ');
            String field = end < 0 ? problem : problem.substring(0, end);
            StringBuilder camel = new StringBuilder(field.length());
            for (int i = 0; i < field.length(); i++) {
                char ch = field.charAt(i);
                if (ch == '_' && i + 1 < field.length()) {
                    camel.append(Character.toUpperCase(field.charAt(++i)));
                } else {
                    camel.append(ch);
                }
            }
            return camel + (end < 0 ? "" : problem.substring(end));
        }

        private static void finite(String name, double v) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException(name + " must be a finite number, got " + v);
            }
        }

        private static void atLeast(String name, double v, double min) {
            finite(name, v);
            if (v < min) {
                throw new IllegalArgumentException(name + " must be >= " + fmt(min) + ", got " + fmt(v));
            }
        }

        private static String fmt(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
        }
    }
}
