/**
 * Training with concurrent layer pruning: {@link io.layerprune.train.Trainer} ({@code fit} on a
 * training and a validation set, the test set only at the end; {@code stop}; {@code save}),
 * {@link io.layerprune.train.TrainConfig} (every hyper-parameter, native defaults per architecture
 * family), the listener interface and its events, {@link io.layerprune.train.EarlyStopping}, the
 * estimators, schedules and pruning rules, and the estimator check.
 */
package io.layerprune.train;
