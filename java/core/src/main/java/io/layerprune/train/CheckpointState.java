package io.layerprune.train;

import io.layerprune.internal.Json;
import io.layerprune.model.Precision;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The training progress stored in a checkpoint's metadata ({@code progress} of
 * {@code io.layerprune.internal.CheckpointMetadata}): the configuration as the user gave it and
 * where {@link Trainer#fit} stands (epochs done, the events so far), so a resumed run returns the
 * same {@link TrainingResult}. JSON keys are the record components in snake_case, as in the files
 * written by earlier versions.
 */
final class CheckpointState {
    /**
     * Every {@link TrainConfig} field, as the user gave it (tau unresolved). {@code precision} is null
     * in files written before mixed precision: those runs were fp32. The estimator budget, pruning
     * rule, evidence horizon and z and the prior scaling are null in files written before they were
     * stored: those read as this version's defaults (the native trainer state, which the run resumes
     * from, always held them).
     */
    record Config(double lambda, Double tau, double s2, double theta0, double etaTheta, int patience, double thetaMin,
            double etaW, double momentum, double clipNorm, double weightDecay, String schedule, long totalSteps,
            long stepEvery, double stepGamma, String estimator, double estimatorFraction, String thetaSchedule,
            long thetaStepEvery, double thetaStepGamma, int augmentPad, long thetaFreezeSteps, boolean augmentFlip,
            boolean noGates, long trainSize, int batchSize, int epochs, long seed, String precision,
            Double estimatorBudget, String pruningRule, Double evidenceHorizon, Double evidenceZ,
            String priorScaling, String priorNorm) {
        static Config of(TrainConfig c) {
            return new Config(c.lambda(), c.tau(), c.s2(), c.theta0(), c.etaTheta(), c.patience(), c.thetaMin(),
                    c.etaW(), c.momentum(), c.clipNorm(), c.weightDecay(), c.schedule().cliName(), c.totalSteps(),
                    c.stepEvery(), c.stepGamma(), c.estimator().cliName(), c.estimatorFraction(),
                    c.thetaSchedule().cliName(), c.thetaStepEvery(), c.thetaStepGamma(), c.augmentPad(),
                    c.thetaFreezeSteps(), c.augmentFlip(), c.noGates(), c.trainSize(), c.batchSize(), c.epochs(),
                    c.seed(), c.precision().cliName(), c.estimatorBudget(), c.pruningRule().cliName(),
                    c.evidenceHorizon(), c.evidenceZ(), c.priorScaling().cliName(),
                    c.priorNorm().cliName());
        }

        TrainConfig toConfig() {
            TrainConfig.Builder b = TrainConfig.builder().lambda(lambda).s2(s2).theta0(theta0).etaTheta(etaTheta)
                    .patience(patience).thetaMin(thetaMin).etaW(etaW).momentum(momentum).clipNorm(clipNorm)
                    .weightDecay(weightDecay).schedule(Schedule.fromName(schedule)).totalSteps(totalSteps)
                    .stepEvery(stepEvery).stepGamma(stepGamma).estimator(Estimator.fromName(estimator))
                    .estimatorFraction(estimatorFraction).thetaSchedule(Schedule.fromName(thetaSchedule))
                    .thetaStepEvery(thetaStepEvery).thetaStepGamma(thetaStepGamma).augmentPad(augmentPad)
                    .thetaFreezeSteps(thetaFreezeSteps).augmentFlip(augmentFlip).noGates(noGates)
                    .trainSize(trainSize).batchSize(batchSize).epochs(epochs).seed(seed)
                    .precision(precision == null ? Precision.FP32 : Precision.fromName(precision));
            if (tau != null) {
                b.tau(tau);
            }
            if (estimatorBudget != null) {
                b.estimatorBudget(estimatorBudget);
            }
            if (pruningRule != null) {
                b.pruningRule(PruningRule.fromName(pruningRule));
            }
            if (evidenceHorizon != null) {
                b.evidenceHorizon(evidenceHorizon);
            }
            if (evidenceZ != null) {
                b.evidenceZ(evidenceZ);
            }
            if (priorScaling != null) {
                b.priorScaling(PriorScaling.fromName(priorScaling));
            }
            // Every run before the initial-norm prior read the weights' current norm.
            b.priorNorm(priorNorm == null ? PriorNorm.CURRENT : PriorNorm.fromName(priorNorm));
            return b.build();
        }
    }

    /** Where {@link Trainer#fit} stands; {@code epochsDone} epochs are complete. */
    record Progress(Config config, TrainingStart start, int epochsDone, long samples, double seconds, boolean finished,
            long trainSamples, List<EpochEvent> epochs, List<PruneEvent> pruneEvents) {}

    private CheckpointState() {}

    /** The JSON tree of {@code progress}. */
    static Object toTree(Progress progress) {
        return Json.toTree(progress, Json.Naming.SNAKE_CASE);
    }

    /** The progress of a JSON tree from {@link #toTree} (or a file of an earlier version); null for null. */
    static Progress fromTree(Object tree) {
        return tree == null ? null : Json.fromTree(upgrade(tree), Progress.class, Json.Naming.SNAKE_CASE);
    }

    /**
     * Files written before the validation set existed call its numbers "test": their per-epoch
     * {@code test_*} values and {@code start.test_samples} are the set fit evaluated each epoch,
     * which is now the validation set.
     */
    @SuppressWarnings("unchecked")
    private static Object upgrade(Object tree) {
        if (!(tree instanceof Map<?, ?> progress)) {
            return tree;
        }
        if (progress.get("start") instanceof Map<?, ?> start && !start.containsKey("validation_samples")) {
            Map<String, Object> m = (Map<String, Object>) start;
            m.put("validation_samples", m.get("test_samples"));
            m.put("test_samples", 0L);
        }
        if (progress.get("epochs") instanceof List<?> epochs) {
            for (Object e : epochs) {
                if (e instanceof Map<?, ?> epoch && !epoch.containsKey("validation_loss_expected")) {
                    Map<String, Object> m = (Map<String, Object>) epoch;
                    for (String k : List.of("loss_expected", "accuracy_expected", "loss_deterministic",
                            "accuracy_deterministic")) {
                        m.put("validation_" + k, m.remove("test_" + k));
                    }
                }
            }
        }
        return tree;
    }

    static <T> List<T> copy(List<T> list) {
        return list == null ? new ArrayList<>() : new ArrayList<>(list);
    }
}
