/**
 * The JSON run report, schema {@code layerprune.report/1}: {@link io.layerprune.report.ReportCollector}
 * listens to training and builds it, {@link io.layerprune.report.ReportWriter} writes it atomically.
 */
package io.layerprune.report;
