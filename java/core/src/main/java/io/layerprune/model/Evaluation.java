package io.layerprune.model;

/**
 * Result of evaluating a model on a data set.
 *
 * @param loss mean cross-entropy (nats)
 * @param accuracy fraction of samples classified correctly, in [0, 1]
 * @param samples samples evaluated
 */
public record Evaluation(double loss, double accuracy, long samples) {}
