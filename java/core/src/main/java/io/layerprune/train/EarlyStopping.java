package io.layerprune.train;

import java.util.Objects;

/**
 * Ends {@link Trainer#fit} when a validation number has stopped improving: after each epoch it
 * compares the monitored number with the best so far, and once {@link #patience()} epochs in a
 * row have not improved it by more than {@link #minDelta()} it calls {@link Trainer#stop()}.
 * The run then ends as after its last epoch (the model made deterministic and evaluated);
 * {@link TrainingResult#stopped()} says so. The model at the end is the last one, not the best.
 *
 * <pre>{@code
 * try (Trainer trainer = Trainer.create(model, config)) {
 *     EarlyStopping early = EarlyStopping.on(trainer).patience(3);
 *     TrainingResult r = trainer.fit(split.train(), split.validation(), early);
 *     System.out.println("best epoch " + early.bestEpoch() + (r.stopped() ? ", stopped early" : ""));
 * }
 * }</pre>
 *
 * <p>It needs a validation set: without one {@link #onStart} throws IllegalArgumentException.
 */
public final class EarlyStopping implements TrainingListener {
    /** The per-epoch number watched, of the validation set. */
    public enum Monitor {
        /** Loss of the deterministic network (what determinisation would keep): lower is better. */
        LOSS(false),
        /** Accuracy of the deterministic network: higher is better. */
        ACCURACY(true),
        /** Loss of the expected network (xi replaced by theta): lower is better. */
        EXPECTED_LOSS(false),
        /** Accuracy of the expected network: higher is better. */
        EXPECTED_ACCURACY(true);

        private final boolean higherIsBetter;

        Monitor(boolean higherIsBetter) {
            this.higherIsBetter = higherIsBetter;
        }

        double of(EpochEvent e) {
            return switch (this) {
                case LOSS -> e.validationLossDeterministic();
                case ACCURACY -> e.validationAccuracyDeterministic();
                case EXPECTED_LOSS -> e.validationLossExpected();
                case EXPECTED_ACCURACY -> e.validationAccuracyExpected();
            };
        }
    }

    private final Trainer trainer;
    private Monitor monitor = Monitor.LOSS;
    private int patience = 2;
    private double minDelta;
    private double best = Double.NaN;
    private int bestEpoch;
    private int sinceBest;
    private int stoppedAfter;

    private EarlyStopping(Trainer trainer) {
        this.trainer = trainer;
    }

    /** Early stopping of {@code trainer}: validation loss of the deterministic network, patience 2, min delta 0. */
    public static EarlyStopping on(Trainer trainer) {
        return new EarlyStopping(Objects.requireNonNull(trainer, "trainer"));
    }

    /** The number watched (default {@link Monitor#LOSS}). */
    public EarlyStopping monitor(Monitor monitor) {
        this.monitor = Objects.requireNonNull(monitor, "monitor");
        return this;
    }

    /** Epochs without improvement before stopping (default 2), &gt;= 1. */
    public EarlyStopping patience(int patience) {
        if (patience < 1) {
            throw new IllegalArgumentException("patience must be >= 1, got " + patience);
        }
        this.patience = patience;
        return this;
    }

    /** How much the number must improve to count (default 0: any improvement), &gt;= 0. */
    public EarlyStopping minDelta(double minDelta) {
        if (!(minDelta >= 0) || !Double.isFinite(minDelta)) {
            throw new IllegalArgumentException("minDelta must be >= 0, got " + minDelta);
        }
        this.minDelta = minDelta;
        return this;
    }

    public Monitor monitor() {
        return monitor;
    }

    public int patience() {
        return patience;
    }

    public double minDelta() {
        return minDelta;
    }

    /** The best value seen (NaN before the first epoch). */
    public double best() {
        return best;
    }

    /** The epoch of {@link #best()} (0 before the first epoch). */
    public int bestEpoch() {
        return bestEpoch;
    }

    /** The epoch after which it stopped training, 0 if it did not. */
    public int stoppedAfter() {
        return stoppedAfter;
    }

    @Override
    public void onStart(TrainingStart start) {
        if (start.validationSamples() == 0) {
            throw new IllegalArgumentException("early stopping needs a validation set: give fit one (e.g. from "
                    + "Dataset.split)");
        }
    }

    @Override
    public void onEpoch(EpochEvent epoch) {
        double v = monitor.of(epoch);
        if (Double.isNaN(v)) {
            return;
        }
        boolean improved = Double.isNaN(best)
                || (monitor.higherIsBetter ? v > best + minDelta : v < best - minDelta);
        if (improved) {
            best = v;
            bestEpoch = epoch.epoch();
            sinceBest = 0;
        } else if (++sinceBest >= patience && stoppedAfter == 0) {
            stoppedAfter = epoch.epoch();
            trainer.stop();
        }
    }

    @Override
    public String toString() {
        return "EarlyStopping[" + monitor + ", patience " + patience + ", minDelta " + minDelta + "]";
    }
}
