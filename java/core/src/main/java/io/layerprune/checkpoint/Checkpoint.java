package io.layerprune.checkpoint;

import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.data.Dataset;
import io.layerprune.internal.Access;
import io.layerprune.internal.CheckpointMetadata;
import io.layerprune.internal.Json;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.zoo.ConvPreset;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A training run or a model read back from a checkpoint file ({@link Trainer#save}, {@link Model#save});
 * {@link #loadModel} reads just the model.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoint.load(Path.of("run.lpckpt"))) {
 *     TrainingResult r = ckpt.resume(split.train(), split.validation(), listener); // bit-exact continuation
 * }
 * }</pre>
 *
 * <p>The file is self-describing (magic {@code LPCKPT01}, format and library version, architecture,
 * theta, pruned set and history, weights, optimizer and RNG state, configuration, a checksum); a
 * missing, truncated, corrupt, foreign or too new file raises {@link LayerpruneException} naming the
 * problem. The restored {@link Model} (and {@link Trainer}) belong to the checkpoint and are closed
 * with it, unless taken with {@link #takeModel()}. Use a checkpoint from one thread at a time.
 */
public final class Checkpoint extends NativeHandle {
    private final Path file;
    private final CheckpointMetadata.Envelope saved;
    private final Object progress;  // io.layerprune.train's progress of the saved run, or null
    private final boolean hasTrainer;
    private Model model;
    private boolean modelTaken;
    private Trainer trainer;

    private Checkpoint(Path file, CheckpointMetadata.Envelope saved, Object progress, boolean hasTrainer, Model model) {
        super("checkpoint");
        this.file = file;
        this.saved = saved;
        this.progress = progress;
        this.hasTrainer = hasTrainer;
        this.model = model;
    }

    /**
     * Reads and validates a checkpoint and restores its model (the trainer is restored on first use).
     *
     * @throws LayerpruneException naming the problem when the file is missing or not a valid checkpoint
     */
    public static Checkpoint load(Path file) {
        Objects.requireNonNull(file, "file");
        String path = file.toAbsolutePath().toString();
        LayerpruneNative.ContainerFile f = Native.call(() -> LayerpruneNative.checkpoint_read(path));
        try {
            CheckpointMetadata.Envelope saved =
                    CheckpointMetadata.read(Native.call(() -> LayerpruneNative.container_string(f, "metadata")), path);
            Object progress;
            try {
                progress = Access.trainers().progress(saved.progress());
            } catch (Json.JsonException e) {
                throw new LayerpruneException("could not read " + path + " because its metadata is not valid: "
                        + e.getMessage(), e);
            }
            ModelSpec spec = specOf(f);
            boolean hasTrainer = Native.callInt(() -> LayerpruneNative.checkpoint_has_trainer(f)) != 0;
            if (hasTrainer && progress == null) {
                throw new LayerpruneException("could not read " + path + " because it holds a trainer but no "
                        + "training progress in its metadata");
            }
            LayerpruneNative.Model h = Native.call(() -> LayerpruneNative.checkpoint_restore_model(f));
            // The model owns h from its constructor's first line (and frees it if that constructor fails).
            Model m = (Model) Access.models().restore(h, spec, saved.initialParams(), saved.initialFlopsPerSample());
            Checkpoint c = new Checkpoint(file, saved, progress, hasTrainer, m);
            c.nativeFile = f;
            c.adopt(f, LayerpruneNative::container_destroy, 0);
            return c;
        } catch (RuntimeException e) {
            LayerpruneNative.container_destroy(f);
            throw e;
        }
    }

    // The parsed file stays open while a trainer may still be restored from it.
    private LayerpruneNative.ContainerFile nativeFile;

    private static ModelSpec specOf(LayerpruneNative.ContainerFile f) {
        try (LayerpruneNative.ArchitectureSpec a = new LayerpruneNative.ArchitectureSpec()) {
            Native.run(() -> LayerpruneNative.checkpoint_architecture(f, a));
            switch (a.kind()) {
                case LayerpruneNative.MODEL_MLP: {
                    LayerpruneNative.MlpSpec s = a.mlp();
                    return new ResidualMlp.Spec(s.input_size(), s.width(), s.sections(), s.classes(), s.seed());
                }
                case LayerpruneNative.MODEL_RESNET: {
                    LayerpruneNative.ResNetSpec s = a.resnet();
                    return new ResNet.Spec(s.depth(), s.channels(), s.height(), s.width(), s.classes(),
                            s.post_activation() != 0, s.seed());
                }
                case LayerpruneNative.MODEL_VGG16:
                case LayerpruneNative.MODEL_LENET5: {
                    LayerpruneNative.VggSpec s = a.image();
                    ConvPreset preset = a.kind() == LayerpruneNative.MODEL_VGG16 ? ConvPreset.VGG16 : ConvPreset.LENET5;
                    return preset.spec(s.channels(), s.height(), s.width(), s.classes(), s.seed());
                }
                case LayerpruneNative.MODEL_ARCHITECTURE:
                    return Architecture.fromJson(Native.call(() -> LayerpruneNative.checkpoint_architecture_json(f)))
                            .withSeed(a.seed());
                default:
                    throw new LayerpruneException("the checkpoint's architecture kind " + a.kind() + " is unknown");
            }
        } catch (IllegalArgumentException e) {
            throw new LayerpruneException("the checkpoint's architecture is invalid: " + e.getMessage(), e);
        }
    }

    /**
     * Loads the model of a checkpoint ({@link Trainer#save} or {@link Model#save}) for evaluation or
     * prediction: architecture, weights, theta and the pruned set. The caller closes it. To continue
     * training, use {@link #load} instead.
     *
     * @throws LayerpruneException naming the problem for a missing, truncated, corrupt, foreign or
     *     too new file
     */
    public static Model loadModel(Path file) {
        try (Checkpoint c = load(file)) {
            return c.takeModel();
        }
    }

    /** The file this checkpoint was read from. */
    public Path file() {
        return file;
    }

    /** The restored model; it belongs to this checkpoint unless taken with {@link #takeModel()}. */
    public Model model() {
        ensureOpen();
        if (model == null) {
            throw new IllegalStateException("the model was taken from this checkpoint (takeModel)");
        }
        return model;
    }

    /** Hands the model to the caller, who closes it; the checkpoint no longer does. */
    public Model takeModel() {
        Model m = model();
        if (trainer != null) {
            throw new IllegalStateException("the model is in use by this checkpoint's trainer");
        }
        modelTaken = true;
        model = null;
        return m;
    }

    /** Whether the file holds a training run (false: a model saved alone). */
    public boolean hasTrainer() {
        return hasTrainer;
    }

    /** The training configuration, if the file holds a training run. */
    public Optional<TrainConfig> config() {
        return progress == null ? Optional.empty() : Optional.of((TrainConfig) Access.trainers().config(progress));
    }

    /** Epochs the saved run had completed (0 for a model saved alone). */
    public int epochsDone() {
        return progress == null ? 0 : Access.trainers().epochsDone(progress);
    }

    /** Whether the saved run had finished (its model made deterministic). */
    public boolean finished() {
        return progress != null && Access.trainers().finished(progress);
    }

    /** The caller's metadata string given to {@link Trainer#save(Path, String)}, or null. */
    public String metadata() {
        return saved.user();
    }

    /**
     * The saved run's trainer, restored on first call (optimizer momentum, RNG, counters, epoch
     * order): its {@link Trainer#fit} continues the run, and {@link Trainer#save} keeps saving it.
     *
     * @throws IllegalStateException for a model saved alone
     */
    public Trainer trainer() {
        ensureOpen();
        if (trainer != null) {
            return trainer;
        }
        if (!hasTrainer) {
            throw new IllegalStateException(file + " holds a model saved alone, not a training run: nothing to resume");
        }
        Model m = model();
        LayerpruneNative.Model mh = NativeHandle.pointer(m, LayerpruneNative.Model.class);
        LayerpruneNative.Trainer h = NativeHandle.callWith(
                () -> LayerpruneNative.checkpoint_restore_trainer(nativeFile, mh), this, m);
        trainer = (Trainer) Access.trainers().restore(m, h, progress);  // owns h (frees it if restoring fails)
        return trainer;
    }

    /**
     * Continues the saved run to its configured number of epochs on the same data (same seed and
     * threads give the uninterrupted run's result bit for bit, timings aside).
     */
    public TrainingResult resume(Dataset train, Dataset validation, TrainingListener... listeners) {
        return trainer().fit(train, validation, listeners);
    }

    /** {@link #resume(Dataset, Dataset, TrainingListener...)}, with the test set evaluated at the end. */
    public TrainingResult resume(Dataset train, Dataset validation, Dataset test, TrainingListener... listeners) {
        return trainer().fit(train, validation, test, listeners);
    }

    @Override
    protected void free() {
        if (trainer != null) {
            trainer.close();
        }
        if (model != null && !modelTaken) {
            model.close();
        }
        nativeFile = null;  // freed right after, as the adopted native object
    }

    @Override
    public String toString() {
        return "Checkpoint[" + file + ", " + epochsDone() + " epochs" + (finished() ? ", finished" : "")
                + (isClosed() ? ", closed]" : "]");
    }
}
