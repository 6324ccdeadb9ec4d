package io.layerprune.train;

/**
 * The end of an epoch, sent to {@link TrainingListener#onEpoch}. Validation numbers (of the
 * held-out set given to {@link Trainer#fit}, never the test set) are of the expected network (xi_l
 * replaced by theta_l) and of the deterministic one (xi_l = [theta_l >= 0.5], what determinisation
 * would keep now), NaN without a validation set.
 *
 * @param epoch 1-based epoch
 * @param step global step count at the end of the epoch
 * @param loss mean training batch loss over the epoch (sampled networks)
 * @param trainAccuracy mean training batch accuracy over the epoch (sampled networks)
 * @param validationLossExpected validation loss of the expected network
 * @param validationAccuracyExpected validation accuracy of the expected network
 * @param theta theta_l of every section (pruned ones included)
 * @param tau tau_l of every section for its current weights (0 once pruned)
 * @param pruned which sections are pruned
 * @param liveSections unpruned sections
 * @param params parameters held now
 * @param flopsPerSample FLOPs per sample of the expected network now
 * @param cumulativeTrainingFlops training FLOPs so far, estimator passes included
 * @param seconds wall time since training started (steps and evaluations)
 * @param validationLossDeterministic validation loss of the deterministic network
 * @param validationAccuracyDeterministic validation accuracy of the deterministic network
 * @param cumulativeEstimatorFlops FLOPs of the estimator's extra passes so far (part of
 *     cumulativeTrainingFlops)
 */
public record EpochEvent(int epoch, long step, double loss, double trainAccuracy, double validationLossExpected,
        double validationAccuracyExpected, double[] theta, double[] tau, boolean[] pruned, int liveSections, long params,
        double flopsPerSample, double cumulativeTrainingFlops, double seconds, double validationLossDeterministic,
        double validationAccuracyDeterministic, double cumulativeEstimatorFlops) {}
