package io.layerprune.report;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The JSON report of one training run, schema {@value #SCHEMA}. Keys are snake_case; accuracies
 * are fractions in [0, 1]; numbers that do not exist (no validation or test set) are null. The
 * per-epoch numbers are of the validation set (held out of the training images), the test set
 * appears only in {@code final}. Schema 2 renamed the per-epoch {@code test_*} keys of schema 1
 * (whose per-epoch set was the test set) to {@code validation_*} and added {@code
 * dataset.validation} and {@code final.validation_*}; {@link ReportReader} reads both. See
 * {@link ReportCollector} to build one and {@link ReportWriter} to write it.
 *
 * @param finalResult null until training has finished
 */
@JsonPropertyOrder({"schema", "version", "created", "config", "dataset", "sections", "epochs", "prune_events",
        "final"})
public record Report(String schema, String version, String created, Config config, DatasetInfo dataset,
        List<Section> sections, List<Epoch> epochs, List<Prune> pruneEvents,
        @JsonProperty("final") Final finalResult) {

    public static final String SCHEMA = "layerprune.report/2";
    /** The schema before the validation set: its per-epoch test_* numbers read as validation_*. */
    public static final String SCHEMA_1 = "layerprune.report/1";

    /** The architecture. */
    @JsonPropertyOrder({"type", "input", "width", "sections", "classes", "seed"})
    public record ModelSpec(String type, long input, long width, int sections, int classes, long seed) {}

    /**
     * Every hyper-parameter actually used. {@code precision} ("fp32" or "bf16") is null in reports written
     * before mixed precision (those runs were fp32); {@code prior_norm} is null in reports written before
     * it existed (those runs read the weights' current norm).
     */
    @JsonPropertyOrder({"model", "estimator", "estimator_fraction", "estimator_budget", "pruning_rule",
            "evidence_horizon", "evidence_z", "prior_scaling", "prior_norm", "precision", "lambda", "tau", "train_size", "s2", "theta0",
            "eta_theta", "patience", "theta_min", "eta_w", "momentum", "clip_norm", "weight_decay", "schedule",
            "total_steps", "step_every", "step_gamma", "theta_schedule", "theta_step_every", "theta_step_gamma", "theta_freeze_steps",
            "augment_pad", "augment_flip", "no_gates", "batch_size", "epochs", "seed", "threads"})
    public record Config(ModelSpec model, String estimator, double estimatorFraction, Double lambda, Double tau,
            Long trainSize, double s2, double theta0, double etaTheta, int patience, double thetaMin, double etaW,
            double momentum, double clipNorm, double weightDecay, String schedule, Long totalSteps, long stepEvery,
            double stepGamma, String thetaSchedule, long thetaStepEvery, double thetaStepGamma, long thetaFreezeSteps, int augmentPad,
            boolean augmentFlip, boolean noGates,
            int batchSize, int epochs, long seed, int threads, Double estimatorBudget, String pruningRule,
            Double evidenceHorizon, Double evidenceZ, String priorScaling, String priorNorm, String precision) {}

    /** Images of each set; {@code validation} is null in reports of schema 1. */
    @JsonPropertyOrder({"name", "train", "validation", "test"})
    public record DatasetInfo(String name, long train, long test, Long validation) {
        public DatasetInfo(String name, long train, long test) {
            this(name, train, test, null);
        }
    }

    /** Final state of one section; tau is the last value before pruning for pruned sections. */
    @JsonPropertyOrder({"index", "weights", "tau", "theta_final", "pruned_at_step"})
    public record Section(int index, long weights, Double tau, Double thetaFinal, Long prunedAtStep) {}

    /** One epoch; the {@code validation_*} numbers are of the held-out validation set. */
    @JsonPropertyOrder({"epoch", "step", "loss", "train_accuracy", "validation_loss_expected",
            "validation_accuracy_expected", "theta", "tau", "live_sections", "params", "flops_per_sample",
            "cumulative_training_flops", "cumulative_training_flops_unpruned", "seconds",
            "validation_loss_deterministic", "validation_accuracy_deterministic", "estimator_flops"})
    public record Epoch(int epoch, long step, Double loss, Double trainAccuracy,
            @JsonAlias("test_loss_expected") Double validationLossExpected,
            @JsonAlias("test_accuracy_expected") Double validationAccuracyExpected, double[] theta, double[] tau,
            int liveSections, long params, double flopsPerSample, double cumulativeTrainingFlops, double seconds,
            Double cumulativeTrainingFlopsUnpruned,
            @JsonAlias("test_loss_deterministic") Double validationLossDeterministic,
            @JsonAlias("test_accuracy_deterministic") Double validationAccuracyDeterministic,
            Double estimatorFlops) {
        /**
         * The record before {@code cumulative_training_flops_unpruned} was added (reports written
         * by older versions read it as null).
         */
        public Epoch(int epoch, long step, Double loss, Double trainAccuracy, Double validationLossExpected,
                Double validationAccuracyExpected, double[] theta, double[] tau, int liveSections, long params,
                double flopsPerSample, double cumulativeTrainingFlops, double seconds) {
            this(epoch, step, loss, trainAccuracy, validationLossExpected, validationAccuracyExpected, theta, tau,
                    liveSections, params, flopsPerSample, cumulativeTrainingFlops, seconds, null, null, null, null);
        }
    }

    /** A section removal; {@code final} is true when the end-of-training determinization removed it. */
    @JsonPropertyOrder({"section", "step", "epoch", "final"})
    public record Prune(int section, long step, int epoch, @JsonProperty("final") boolean atFinish) {}

    /**
     * The end of training. {@code test_accuracy}/{@code test_loss} are of the deterministic network
     * after determinisation (what is saved and exported) on the test set, evaluated once here;
     * {@code test_accuracy_expected}/{@code test_loss_expected} of the expected network just before
     * it; {@code validation_*} the same on the validation set. {@code estimator_flops} are the
     * estimator's extra passes (part of {@code cumulative_training_flops}); {@code evaluation_seconds}
     * the part of {@code seconds} spent in the per-epoch evaluations; {@code stopped} whether
     * training was stopped before its last epoch (null in schema 1).
     */
    @JsonPropertyOrder({"test_accuracy", "test_accuracy_expected", "test_loss", "test_loss_expected",
            "validation_accuracy", "validation_accuracy_expected", "validation_loss", "validation_loss_expected",
            "sections_kept", "sections_total", "params", "params_initial", "flops_per_sample",
            "flops_per_sample_initial", "cumulative_training_flops", "cumulative_training_flops_unpruned",
            "training_flops_ratio", "seconds", "samples_per_second", "steps", "samples_trained", "estimator_flops",
            "evaluation_seconds", "stopped"})
    public record Final(Double testAccuracy, Double testAccuracyExpected, Double testLoss, Double testLossExpected,
            int sectionsKept, int sectionsTotal, long params, long paramsInitial, double flopsPerSample,
            double flopsPerSampleInitial, double cumulativeTrainingFlops, double cumulativeTrainingFlopsUnpruned,
            Double trainingFlopsRatio, double seconds, Double samplesPerSecond, long steps, long samplesTrained,
            Double estimatorFlops, Double evaluationSeconds, Double validationAccuracy,
            Double validationAccuracyExpected, Double validationLoss, Double validationLossExpected, Boolean stopped) {}
}
