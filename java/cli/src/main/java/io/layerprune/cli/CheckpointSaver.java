package io.layerprune.cli;

import io.layerprune.train.EpochEvent;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * {@code train --save FILE}: saves the run at the end of every epoch and at the end (atomically, so
 * the previous checkpoint survives a crash during a save). Register it after the report collector,
 * so the report stored in the metadata includes the epoch just finished.
 */
final class CheckpointSaver implements TrainingListener {
    private final Trainer trainer;
    private final Path file;
    private final Supplier<String> metadata;
    private int lastSavedEpoch = -1;

    CheckpointSaver(Trainer trainer, Path file, Supplier<String> metadata) {
        this.trainer = trainer;
        this.file = file;
        this.metadata = metadata;
    }

    @Override
    public void onEpoch(EpochEvent e) {
        trainer.save(file, metadata.get());
        lastSavedEpoch = e.epoch();
    }

    @Override
    public void onFinish(TrainingResult r) {
        trainer.save(file, metadata.get());
    }

    /** The epoch of the last checkpoint written by this run, or -1. */
    int lastSavedEpoch() {
        return lastSavedEpoch;
    }
}
