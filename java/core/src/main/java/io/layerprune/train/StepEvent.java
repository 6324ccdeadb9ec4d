package io.layerprune.train;

/**
 * One training step, sent to {@link TrainingListener#onStep}.
 *
 * @param epoch 1-based epoch
 * @param batch 0-based batch index within the epoch
 * @param stepsInEpoch steps of this epoch
 * @param step global step count after this step (1-based)
 * @param loss mean batch loss of the sampled network
 * @param accuracy batch accuracy of the sampled network
 * @param lr eta_W used
 * @param gradNorm global weight-gradient norm before clipping
 * @param liveSections unpruned sections after the step
 * @param activeSections sections that ran (xi = 1) in the step
 * @param prunedThisStep sections removed by the step
 * @param stepFlops FLOPs of the step, estimator passes included
 * @param stepFlopsUnpruned FLOPs the same step would cost with every section on and no estimator
 * @param cumulativeFlops training FLOPs so far
 * @param samples training samples processed so far
 * @param seconds wall time since training started
 */
public record StepEvent(int epoch, long batch, long stepsInEpoch, long step, double loss, double accuracy, double lr,
        double gradNorm, int liveSections, int activeSections, int prunedThisStep, double stepFlops,
        double stepFlopsUnpruned, double cumulativeFlops, long samples, double seconds) {}
