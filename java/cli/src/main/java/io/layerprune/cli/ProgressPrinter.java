package io.layerprune.cli;

import io.layerprune.train.EpochEvent;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.StepEvent;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingStart;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * Training progress on stderr: a progress line per epoch (redrawn in place with \r on a terminal,
 * otherwise one line per ~10% of the epoch), a summary line per epoch, and a line per pruned
 * section.
 */
final class ProgressPrinter implements TrainingListener {
    private static final int BAR = 20;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final boolean terminal;
    private int epochs;
    private int sections;
    private int lastDecile = -1;
    private long lastDraw;
    private boolean lineOpen;
    private double epochStartSeconds;
    private long epochStartSamples;
    private double lossSum;
    private double accSum;
    private long stepsInSum;

    ProgressPrinter(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    @Override
    public void onStart(TrainingStart start) {
        epochs = start.epochs();
        sections = start.sections();
    }

    @Override
    public void onStep(StepEvent s) {
        if (s.batch() == 0) {
            // samples and seconds at the start of the epoch, from the first step's numbers
            epochStartSamples = s.samples() - (s.samples() / Math.max(1, s.step()));
            epochStartSeconds = s.seconds();
            lastDecile = 0;
            lossSum = 0;
            accSum = 0;
            stepsInSum = 0;
        }
        lossSum += s.loss();
        accSum += s.accuracy();
        stepsInSum++;
        long done = s.batch() + 1;
        boolean last = done == s.stepsInEpoch();
        if (terminal) {
            long now = System.nanoTime();
            if (!last && now - lastDraw < REDRAW_NANOS) {
                return;
            }
            lastDraw = now;
            err.print("\r" + line(s, done) + "\033[K");
            err.flush();
            lineOpen = true;
        } else {
            int decile = (int) (done * 10 / Math.max(1, s.stepsInEpoch()));
            if (decile > lastDecile) {
                lastDecile = decile;
                err.println(line(s, done));
                err.flush();
            }
        }
    }

    private String line(StepEvent s, long done) {
        int filled = (int) (done * BAR / Math.max(1, s.stepsInEpoch()));
        String bar = "=".repeat(filled) + (filled < BAR ? ">" + " ".repeat(BAR - filled - 1) : "");
        double secs = s.seconds() - epochStartSeconds;
        long samples = s.samples() - epochStartSamples;
        double rate = secs > 0 ? samples / secs : 0;
        return String.format(Locale.ROOT, "epoch %d/%d [%s] %d/%d  step %d  loss %.4f  acc %.3f  live %d/%d  %.0f samples/s",
                s.epoch(), epochs, bar, done, s.stepsInEpoch(), s.step(), lossSum / stepsInSum, accSum / stepsInSum,
                s.liveSections(), sections, rate);
    }

    private void closeLine() {
        if (lineOpen) {
            err.print("\r\033[K");
            lineOpen = false;
        }
    }

    @Override
    public void onEpoch(EpochEvent e) {
        closeLine();
        err.println(String.format(Locale.ROOT,
                "epoch %d/%d  step %d  loss %.4f  train acc %.4f  val acc %.4f expected, %.4f deterministic  live %d/%d"
                        + "  %.1f s  theta %s",
                e.epoch(), epochs, e.step(), e.loss(), e.trainAccuracy(), e.validationAccuracyExpected(),
                e.validationAccuracyDeterministic(), e.liveSections(),
                sections, e.seconds(), thetas(e.theta(), e.pruned())));
        err.flush();
    }

    @Override
    public void onPrune(PruneEvent p) {
        closeLine();
        err.println("section " + p.section() + " pruned at step " + p.step()
                + (p.atFinish() ? " (final determinization: theta < 0.5)" : ""));
        err.flush();
    }

    /** Thetas compactly: "1" kept at one, "0" at zero, ".42" in between, "-" pruned. */
    static String thetas(double[] theta, boolean[] pruned) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < theta.length; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(pruned[i] ? "-" : theta(theta[i]));
        }
        return sb.append(']').toString();
    }

    static String theta(double v) {
        if (v >= 0.995) {
            return "1";
        }
        if (v <= 0.005) {
            return "0";
        }
        return String.format(Locale.ROOT, ".%02d", Math.round(v * 100));
    }
}
