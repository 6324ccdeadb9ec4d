/**
 * The experiments of issue 4 as code: {@link io.layerprune.experiment.Experiments} runs a grid of
 * trainings through the Java API ({@link io.layerprune.train.Trainer#fit}) and writes a markdown table
 * and its JSON; {@code layerprune experiment NAME} is the command line over it.
 */
package io.layerprune.experiment;
