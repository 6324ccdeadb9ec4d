/**
 * The JSON run report, schema {@code layerprune.report/1}: {@link io.layerprune.report.ReportCollector}
 * listens to training and builds it, {@link io.layerprune.report.ReportWriter} writes it atomically,
 * {@link io.layerprune.report.ReportReader} reads it back. {@link io.layerprune.report.StepCsvWriter}
 * writes the per-step CSV beside it ({@link io.layerprune.report.StepCsv}).
 */
package io.layerprune.report;
