package io.layerprune.train;

/**
 * Observes {@link Trainer#fit}. Every method has a no-op default; they run on the training
 * thread, between steps, so keep them cheap. An exception thrown here aborts training.
 */
public interface TrainingListener {
    default void onStart(TrainingStart start) {}

    default void onStep(StepEvent step) {}

    default void onEpoch(EpochEvent epoch) {}

    default void onPrune(PruneEvent prune) {}

    default void onFinish(TrainingResult result) {}
}
