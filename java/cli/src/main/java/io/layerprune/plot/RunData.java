package io.layerprune.plot;

import io.layerprune.LayerpruneException;
import io.layerprune.report.Report;
import io.layerprune.report.ReportReader;
import io.layerprune.report.StepCsv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * What the plots need from one run: its training curves (from the steps CSV next to the report
 * when there is one, otherwise the report's per-epoch records) and which sections survived.
 *
 * @param report the report file
 * @param source "steps CSV" or "epochs": where the curves came from
 * @param steps training step of every point
 * @param theta theta[section][point]
 * @param params parameters at every point
 * @param flops cumulative training FLOPs at every point
 * @param flopsUnpruned cumulative FLOPs of the unpruned equivalent at every point (NaN where unknown)
 * @param finalParams parameters of the final deterministic network, or null for an unfinished run
 * @param survived per section: true if kept by the finished run; null for an unfinished run
 * @param description model and setting, for titles (e.g. "mlp, 12 sections, lambda 0.01")
 */
public record RunData(Path report, String source, double[] steps, double[][] theta, double[] params,
        double[] flops, double[] flopsUnpruned, Long finalParams, boolean[] survived, String description) {

    /** Sections of the model. */
    public int sections() {
        return theta.length;
    }

    /** Points of the curves. */
    public int points() {
        return steps.length;
    }

    /**
     * Reads {@code report} and, if present, its steps CSV ({@link StepCsv#pathFor}).
     *
     * @throws LayerpruneException one line naming the file and the problem: missing, not a report,
     *     no training steps recorded
     */
    public static RunData load(Path report) {
        Report r = ReportReader.read(report);
        int sections = r.config() != null && r.config().model() != null ? r.config().model().sections() : 0;
        Path csv = StepCsv.pathFor(report);
        double[] steps;
        double[][] theta;
        double[] params;
        double[] flops;
        double[] flopsUnpruned;
        String source;
        if (Files.isRegularFile(csv)) {
            StepCsv.Table t = StepCsv.read(csv);
            if (t.rows() < 2) {
                throw new LayerpruneException(report + ": no training steps to plot (" + csv + " has no step after "
                        + "step 0)");
            }
            if (sections != 0 && t.sections() != sections) {
                throw new LayerpruneException(csv + ": has " + t.sections() + " theta columns but " + report
                        + " describes " + sections + " sections");
            }
            sections = t.sections();
            steps = t.column("step");
            theta = new double[sections][];
            for (int i = 0; i < sections; i++) {
                theta[i] = t.theta(i);
            }
            params = t.column("params");
            flops = t.column("cumulative_training_flops");
            flopsUnpruned = t.column("cumulative_training_flops_unpruned");
            source = "steps CSV";
        } else {
            List<Report.Epoch> epochs = r.epochs() == null ? List.of() : r.epochs();
            if (epochs.isEmpty()) {
                throw new LayerpruneException(report + ": no training steps to plot (no epoch finished and no "
                        + csv.getFileName() + " beside it)");
            }
            // Point 0 is the start of training (step 0, nothing spent yet), so that curves drawn from
            // epoch records alone start where the run started and not at the end of epoch 1.
            int n = epochs.size() + 1;
            sections = epochs.get(0).theta().length;
            steps = new double[n];
            theta = new double[sections][n];
            params = new double[n];
            flops = new double[n];
            flopsUnpruned = new double[n];
            double theta0 = r.config() != null ? r.config().theta0() : Double.NaN;
            for (int i = 0; i < sections; i++) {
                theta[i][0] = theta0;
            }
            params[0] = r.finalResult() != null ? r.finalResult().paramsInitial() : Double.NaN;
            for (int p = 1; p < n; p++) {
                Report.Epoch e = epochs.get(p - 1);
                steps[p] = e.step();
                for (int i = 0; i < sections; i++) {
                    theta[i][p] = i < e.theta().length ? e.theta()[i] : Double.NaN;
                }
                params[p] = e.params();
                flops[p] = e.cumulativeTrainingFlops();
                flopsUnpruned[p] = e.cumulativeTrainingFlopsUnpruned() == null ? Double.NaN
                        : e.cumulativeTrainingFlopsUnpruned();
            }
            // Reports written before epochs carried the unpruned sum still have the final total.
            if (Double.isNaN(flopsUnpruned[n - 1]) && r.finalResult() != null
                    && r.finalResult().steps() == (long) steps[n - 1]) {
                flopsUnpruned[n - 1] = r.finalResult().cumulativeTrainingFlopsUnpruned();
            }
            source = "epochs";
        }
        Long finalParams = r.finalResult() == null ? null : r.finalResult().params();
        boolean[] survived = null;
        if (r.finalResult() != null && r.sections() != null && !r.sections().isEmpty()) {
            survived = new boolean[r.sections().size()];
            for (Report.Section s : r.sections()) {
                if (s.index() >= 0 && s.index() < survived.length) {
                    survived[s.index()] = s.prunedAtStep() == null;
                }
            }
        }
        return new RunData(report, source, steps, theta, params, flops, flopsUnpruned, finalParams, survived,
                describe(r));
    }

    private static String describe(Report r) {
        if (r.config() == null || r.config().model() == null) {
            return "";
        }
        Report.Config c = r.config();
        StringBuilder sb = new StringBuilder(c.model().type()).append(", ").append(c.model().sections())
                .append(" sections");
        if (c.noGates()) {
            sb.append(", no gates");
        } else if (c.lambda() != null) {
            sb.append(", lambda ").append(c.lambda());
        }
        if (r.dataset() != null && r.dataset().name() != null) {
            sb.append(", ").append(r.dataset().name());
        }
        return sb.toString();
    }
}
