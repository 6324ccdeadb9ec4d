package io.layerprune.train;

/**
 * What {@link Trainer#fit} is about to do, sent to {@link TrainingListener#onStart} once.
 *
 * @param epochs passes over the training set
 * @param stepsPerEpoch full mini-batches per epoch
 * @param batchSize samples per step
 * @param trainSamples training samples
 * @param testSamples test samples (0 without a test set)
 * @param trainSize N used in the objective
 * @param lambda prior strength actually used (resolved from tau if tau was given)
 * @param tau the tau that was given, or null
 * @param totalSteps schedule horizon actually used
 * @param sections gated sections of the model
 * @param liveSections sections not pruned at the start
 * @param params parameters at the start
 * @param flopsPerSample FLOPs per sample of the expected network at the start
 */
public record TrainingStart(int epochs, long stepsPerEpoch, int batchSize, long trainSamples, long testSamples,
        long trainSize, double lambda, Double tau, long totalSteps, int sections, int liveSections, long params,
        double flopsPerSample) {}
