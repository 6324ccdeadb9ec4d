package io.layerprune.train;

import io.layerprune.model.SectionState;
import java.util.List;

/**
 * Outcome of {@link Trainer#fit}: the final (deterministic) network's numbers on the validation set
 * and, if one was given to {@link Trainer#fit(io.layerprune.data.Dataset, io.layerprune.data.Dataset,
 * io.layerprune.data.Dataset, TrainingListener...)}, on the test set; the expected network's just
 * before determinisation; what was pruned and what it cost. Numbers of a set that was not given are
 * NaN.
 *
 * @param validationAccuracy validation accuracy of the deterministic network
 * @param validationLoss validation loss of the deterministic network
 * @param validationAccuracyExpected validation accuracy of the expected network at the end of
 *     training, before determinisation (xi_l replaced by theta_l)
 * @param validationLossExpected validation loss of that expected network
 * @param sectionsKept sections not pruned
 * @param sectionsTotal sections of the architecture
 * @param params parameters now
 * @param paramsInitial parameters of the model when it was created
 * @param flopsPerSample FLOPs per sample of the deterministic network now
 * @param flopsPerSampleInitial FLOPs per sample of the model when it was created
 * @param cumulativeTrainingFlops FLOPs spent in training, estimator passes included
 * @param cumulativeTrainingFlopsUnpruned FLOPs the same steps would have cost with every section
 *     on and no estimator passes
 * @param seconds wall time of the training loop (steps and per-epoch evaluations)
 * @param samplesPerSecond trained samples / seconds
 * @param steps steps done
 * @param samplesTrained samples trained on (steps x batch size)
 * @param lambda prior strength actually used
 * @param tau the tau that was given, or null
 * @param trainSize N of the objective
 * @param sections final state of every section
 * @param sectionTau tau_l at the end, or for a pruned section the last value before it was pruned
 * @param epochs one event per completed epoch
 * @param pruneEvents every section removal, in order
 * @param cumulativeEstimatorFlops FLOPs of the estimator's extra passes (part of cumulativeTrainingFlops)
 * @param evaluationSeconds the part of {@code seconds} spent evaluating after each epoch
 * @param testAccuracy test accuracy of the deterministic network
 * @param testLoss test loss of the deterministic network
 * @param testAccuracyExpected test accuracy of the expected network just before determinisation
 * @param testLossExpected test loss of that expected network
 * @param stopped whether {@link Trainer#stop()} ended training before its last epoch
 */
public record TrainingResult(double validationAccuracy, double validationLoss, double validationAccuracyExpected,
        double validationLossExpected, int sectionsKept, int sectionsTotal, long params, long paramsInitial,
        double flopsPerSample, double flopsPerSampleInitial, double cumulativeTrainingFlops,
        double cumulativeTrainingFlopsUnpruned, double seconds, double samplesPerSecond, long steps,
        long samplesTrained, double lambda, Double tau, long trainSize, List<SectionState> sections,
        double[] sectionTau, List<EpochEvent> epochs, List<PruneEvent> pruneEvents, double cumulativeEstimatorFlops,
        double evaluationSeconds, double testAccuracy, double testLoss, double testAccuracyExpected,
        double testLossExpected, boolean stopped) {

    /** Training FLOPs as a fraction of the unpruned network's (1 = no saving). */
    public double trainingFlopsRatio() {
        return cumulativeTrainingFlopsUnpruned > 0 ? cumulativeTrainingFlops / cumulativeTrainingFlopsUnpruned
                : Double.NaN;
    }
}
