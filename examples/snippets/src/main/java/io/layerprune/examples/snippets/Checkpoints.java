package io.layerprune.examples.snippets;

// README: checkpoints imports
import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
// END README

/** The README's checkpoint example (section "Checkpoints"), compiled by the build. */
public final class Checkpoints {
    private Checkpoints() {}

    static TrainingResult saveAndResume(Trainer trainer, Model model, Dataset train, Dataset validation,
            TrainingListener listener, float[] x, int n) {
        TrainingResult r;
        // README: checkpoints
        // save during or after fit (e.g. from TrainingListener.onEpoch), then continue bit-exactly:
        trainer.save(Path.of("run.lpckpt"));
        try (Checkpoint ckpt = Checkpoint.load(Path.of("run.lpckpt"))) {
            r = ckpt.resume(train, validation, listener);                 // same data, seed and threads
        }
        try (Model saved = Checkpoint.loadModel(Path.of("run.lpckpt"))) {
            int[] classes = saved.classify(x, n);                          // raw features: it has the normalizer
        }
        model.save(Path.of("model.lpckpt"));   // a model alone (no optimizer state)
        // END README
        return r;
    }
}
