package io.layerprune.cli;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.layerprune.DataException;
import io.layerprune.report.Report;
import io.layerprune.report.ReportWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * What {@code train --save} stores in a checkpoint's metadata string, for {@code train --resume}
 * and {@code eval}: the command's arguments, the native threads used, the data folder, the share
 * of its training images held out for validation and the seed of that draw, the normalisation
 * computed from the training images, and the report collected so far. Checkpoints written before
 * the validation set existed have no {@code validation_fraction}: their runs held none out.
 */
@JsonPropertyOrder({"format", "args", "threads", "data", "train_limit", "test_limit", "validation_fraction",
        "split_seed", "mean", "std", "report"})
record CliCheckpoint(String format, List<String> args, int threads, String data, int trainLimit, int testLimit,
        double[] mean, double[] std, Report report, Double validationFraction, Long splitSeed) {
    static final String FORMAT = "layerprune.cli-checkpoint/1";

    /** Everything but the report, fixed when training starts. */
    record Run(List<String> args, int threads, String data, int trainLimit, int testLimit, double validationFraction,
            long splitSeed, double[] mean, double[] std) {
        CliCheckpoint with(Report report) {
            return new CliCheckpoint(FORMAT, args, threads, data, trainLimit, testLimit, mean, std, report,
                    validationFraction, splitSeed);
        }
    }

    /** The share of the training images the run held out (0 for checkpoints of earlier versions). */
    double heldOut() {
        return validationFraction == null ? 0 : validationFraction;
    }

    /** The seed of the validation draw (that of the run; 0 when none was held out). */
    long seedOfSplit() {
        return splitSeed == null ? 0 : splitSeed;
    }

    String toJson() {
        try {
            return ReportWriter.mapper().writeValueAsString(this);
        } catch (IOException e) {
            throw new IllegalStateException("could not serialise the checkpoint's CLI metadata: " + e.getMessage(), e);
        }
    }

    /** The CLI metadata of a checkpoint, or null when it was saved through the Java API without it. */
    static CliCheckpoint parse(String metadata, Path file) {
        if (metadata == null || metadata.isBlank() || !metadata.contains(FORMAT)) {
            return null;
        }
        try {
            return ReportWriter.mapper().readValue(metadata, CliCheckpoint.class);
        } catch (IOException e) {
            throw new DataException(file + ": its CLI metadata is not valid: " + e.getMessage(), e);
        }
    }

    /** Throws when the data loaded now is normalised differently from the training run's (other data). */
    void checkNormalisation(double[] nowMean, double[] nowStd, Path folder) {
        if (!Arrays.equals(mean, nowMean) || !Arrays.equals(std, nowStd)) {
            throw new DataException(folder + " does not hold the checkpoint's training data: its normalisation "
                    + "(mean " + Arrays.toString(nowMean) + ", std " + Arrays.toString(nowStd) + ") differs from the "
                    + "training run's (mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + ")");
        }
    }
}
