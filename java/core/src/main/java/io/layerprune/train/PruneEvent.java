package io.layerprune.train;

/**
 * A section was removed, sent to {@link TrainingListener#onPrune}.
 *
 * @param section section index
 * @param step step at which it was removed
 * @param epoch epoch in which it was removed
 * @param atFinish true if it was removed by the final determinization (theta &lt; 0.5), false if
 *     by pruning during training
 */
public record PruneEvent(int section, long step, int epoch, boolean atFinish) {}
