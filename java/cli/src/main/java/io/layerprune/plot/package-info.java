/**
 * PNG plots of training runs (JFreeChart, headless): {@link io.layerprune.plot.RunData} reads a
 * report and its steps CSV, {@link io.layerprune.plot.Charts} draws the paper's figures,
 * {@link io.layerprune.plot.PlotWriter} writes them.
 */
package io.layerprune.plot;
