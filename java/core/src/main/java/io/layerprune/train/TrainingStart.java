package io.layerprune.train;

/**
 * What {@link Trainer#fit} is about to do, sent to {@link TrainingListener#onStart} once.
 *
 * @param epochs passes over the training set
 * @param stepsPerEpoch full mini-batches per epoch
 * @param batchSize samples per step
 * @param trainSamples training samples
 * @param validationSamples validation samples (0 without a validation set)
 * @param trainSize N used in the objective
 * @param lambda prior strength actually used (resolved from tau if tau was given)
 * @param tau the tau that was given, or null
 * @param totalSteps schedule horizon actually used
 * @param sections gated sections of the model
 * @param liveSections sections not pruned at the start
 * @param params parameters at the start
 * @param flopsPerSample FLOPs per sample of the expected network at the start
 * @param testSamples test samples evaluated at the end (0 without a test set)
 */
public record TrainingStart(int epochs, long stepsPerEpoch, int batchSize, long trainSamples, long validationSamples,
        long trainSize, double lambda, Double tau, long totalSteps, int sections, int liveSections, long params,
        double flopsPerSample, long testSamples) {}
