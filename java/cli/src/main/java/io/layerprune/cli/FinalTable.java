package io.layerprune.cli;

import io.layerprune.train.TrainingResult;
import java.io.PrintWriter;
import java.util.Locale;

/** The summary printed on stdout at the end of {@code layerprune train}. */
final class FinalTable {
    private FinalTable() {}

    static void print(PrintWriter out, TrainingResult r) {
        out.println();
        row(out, "", "final", "initial");
        row(out, "test accuracy (deterministic)", pct(r.testAccuracy()), "");
        row(out, "test accuracy (expected)", pct(r.testAccuracyExpected()) + " (before determinisation)", "");
        if (Double.isFinite(r.validationAccuracy())) {
            row(out, "validation accuracy (determ.)", pct(r.validationAccuracy()), "");
        }
        row(out, "sections kept", r.sectionsKept() + " / " + r.sectionsTotal(), r.sectionsTotal() + " / " + r.sectionsTotal());
        row(out, "parameters", String.format(Locale.ROOT, "%,d", r.params()),
                String.format(Locale.ROOT, "%,d", r.paramsInitial()));
        row(out, "FLOPs per sample", sci(r.flopsPerSample()), sci(r.flopsPerSampleInitial()));
        row(out, "training FLOPs", sci(r.cumulativeTrainingFlops()) + String.format(Locale.ROOT, " (%.2f of unpruned)",
                r.trainingFlopsRatio()), sci(r.cumulativeTrainingFlopsUnpruned()) + " (unpruned)");
        row(out, "estimator FLOPs", sci(r.cumulativeEstimatorFlops()) + String.format(Locale.ROOT,
                " (%.3f of unpruned)", r.cumulativeTrainingFlopsUnpruned() > 0
                        ? r.cumulativeEstimatorFlops() / r.cumulativeTrainingFlopsUnpruned() : Double.NaN), "");
        row(out, "training time", String.format(Locale.ROOT, "%.1f s (%.1f s of it evaluating)", r.seconds(),
                r.evaluationSeconds()), "");
        row(out, "samples/s", String.format(Locale.ROOT, "%.0f", r.samplesPerSecond()), "");
        if (r.stopped()) {
            row(out, "stopped early", "after epoch " + r.epochs().size(), "");
        }
        out.flush();
    }

    private static void row(PrintWriter out, String name, String now, String initial) {
        out.println(String.format(Locale.ROOT, "%-30s %-32s %s", name, now, initial).stripTrailing());
    }

    private static String pct(double v) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
    }

    private static String sci(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
