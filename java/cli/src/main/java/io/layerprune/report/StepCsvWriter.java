package io.layerprune.report;

import io.layerprune.EvalMode;
import io.layerprune.model.Model;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.StepEvent;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import io.layerprune.train.TrainingStart;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TrainingListener} that writes the per-step CSV ({@link StepCsv}) of a run: loss, eta_W,
 * theta and tau of every section, pruned sections, parameters, FLOPs per sample, cumulative
 * training FLOPs of the run and of its unpruned equivalent, wall time.
 *
 * <p>Row rule: step 0 (the state before training), then every {@code k}-th step with
 * {@code k = ceil(total steps / maxRows)} (so every step while the run has at most
 * {@code maxRows} steps), plus every step that pruned a section and the last step of every
 * epoch. A run thus has at most {@code maxRows + epochs + sections + 1} rows. Sampled rows read
 * theta, tau and the costs from the model and trainer; the skipped steps cost nothing.
 *
 * <p>The file is written as training goes (flushed after every epoch, so an interrupted run
 * leaves the rows up to its last epoch) and closed by {@link #onFinish} or {@link #close}.
 */
public final class StepCsvWriter implements TrainingListener, AutoCloseable {
    /** Default row budget: enough for smooth plots, small enough to open in a spreadsheet. */
    public static final int DEFAULT_MAX_ROWS = 2000;

    private static final Logger LOG = LoggerFactory.getLogger(StepCsvWriter.class);

    private final Model model;
    private final Trainer trainer;
    private final Path file;
    private final int maxRows;
    private BufferedWriter out;
    private long stride = 1;
    private int sections;
    private long rows;

    /**
     * @param model the model being trained (read on sampled rows)
     * @param trainer its trainer (tau and the cumulative FLOPs)
     * @param file the CSV to write (created, or replaced, at the start of training)
     * @param maxRows row budget for the regular samples, {@code >= 1}
     */
    public StepCsvWriter(Model model, Trainer trainer, Path file, int maxRows) {
        this.model = Objects.requireNonNull(model, "model");
        this.trainer = Objects.requireNonNull(trainer, "trainer");
        this.file = Objects.requireNonNull(file, "file");
        if (maxRows < 1) {
            throw new IllegalArgumentException("maxRows must be >= 1, got " + maxRows);
        }
        this.maxRows = maxRows;
    }

    /** The same with {@link #DEFAULT_MAX_ROWS}. */
    public StepCsvWriter(Model model, Trainer trainer, Path file) {
        this(model, trainer, file, DEFAULT_MAX_ROWS);
    }

    /** Steps between two regular rows, decided when training starts (1 before). */
    public long stride() {
        return stride;
    }

    /** Rows written so far, header excluded. */
    public long rows() {
        return rows;
    }

    @Override
    public void onStart(TrainingStart start) {
        long total = (long) start.epochs() * start.stepsPerEpoch();
        stride = Math.max(1, (total + maxRows - 1) / maxRows);
        sections = start.sections();
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            out = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
            out.write(String.join(",", StepCsv.header(sections)));
            out.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the steps CSV " + file + ": " + e.getMessage(), e);
        }
        LOG.debug("steps CSV {}: {} steps, a row every {} steps", file, total, stride);
        row(0, 0, -1, Double.NaN, Double.NaN, Double.NaN, Double.NaN, start.liveSections(), 0, 0.0);
    }

    @Override
    public void onStep(StepEvent s) {
        boolean epochEnd = s.batch() == s.stepsInEpoch() - 1;
        if (s.step() % stride == 0 || s.prunedThisStep() > 0 || epochEnd) {
            row(s.step(), s.epoch(), s.batch(), s.loss(), s.accuracy(), s.lr(), s.gradNorm(), s.liveSections(),
                    s.prunedThisStep(), s.seconds());
        }
    }

    @Override
    public void onEpoch(EpochEvent e) {
        flush();
    }

    @Override
    public void onFinish(TrainingResult result) {
        close();
    }

    /** Closes the file; idempotent. Call it if training ends with an exception. */
    @Override
    public void close() {
        if (out == null) {
            return;
        }
        try {
            out.close();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the steps CSV " + file + ": " + e.getMessage(), e);
        } finally {
            out = null;
        }
    }

    private void row(long step, int epochOfRow, long batch, double loss, double accuracy, double lr, double gradNorm,
            int live, int prunedThisStep, double seconds) {
        if (out == null) {
            return;
        }
        // Only cheap reads here (no weight scans): a row may be written every step.
        StringBuilder sb = new StringBuilder(256 + 48 * sections);
        sb.append(step).append(',').append(epochOfRow).append(',').append(batch < 0 ? "" : Long.toString(batch));
        num(sb, loss);
        num(sb, accuracy);
        num(sb, lr);
        num(sb, gradNorm);
        sb.append(',').append(live).append(',').append(sections - live).append(',').append(prunedThisStep);
        sb.append(',').append(model.params());
        num(sb, model.flopsPerSample(EvalMode.EXPECTED));
        num(sb, trainer.cumulativeFlops());
        num(sb, trainer.cumulativeFlopsUnpruned());
        num(sb, seconds);
        for (int i = 0; i < sections; i++) {
            num(sb, model.theta(i));
        }
        for (int i = 0; i < sections; i++) {
            num(sb, trainer.tau(i));
        }
        sb.append('\n');
        try {
            out.write(sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the steps CSV " + file + ": " + e.getMessage(), e);
        }
        rows++;
    }

    private void flush() {
        if (out == null) {
            return;
        }
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the steps CSV " + file + ": " + e.getMessage(), e);
        }
    }

    private static void num(StringBuilder sb, double v) {
        sb.append(',');
        if (Double.isFinite(v)) {
            sb.append(v);
        }
    }
}
