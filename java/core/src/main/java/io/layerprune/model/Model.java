package io.layerprune.model;

import io.layerprune.Device;
import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.data.Dataset;
import io.layerprune.data.Normalizer;
import io.layerprune.internal.Access;
import io.layerprune.internal.Checks;
import io.layerprune.internal.CheckpointMetadata;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A gated residual network held by the native core: weights, theta, the pruned set. Build one from
 * a {@link ModelSpec} (the presets of {@code io.layerprune.model.zoo}: {@code ResidualMlp},
 * {@code ResNet}, {@code Vgg16}, {@code LeNet5}); train it with {@code io.layerprune.train.Trainer};
 * read one back with {@code io.layerprune.checkpoint.Checkpoint.loadModel}; export it with
 * {@code io.layerprune.inference.ExportedModel}.
 *
 * <p>Owns native memory: close it when done (closing it also closes the trainers bound to it); a
 * model that is never closed is freed once unreachable, with a warning in the log.
 *
 * <p>Thread-safe: {@code predict}, {@code evaluate} and the accessors may be called from any number
 * of threads, also while a trainer trains the model; the native side runs one call of a model at a
 * time (each call already uses all native threads), so every call gives exactly the result it gives
 * alone, and a call made during {@code fit} sees the weights of the last completed step.
 * {@link #close()} waits for calls in flight; calls after it throw {@link IllegalStateException}.
 */
public final class Model extends NativeHandle implements Predictor {
    private final LayerpruneNative.Model handle;
    private final ModelSpec spec;
    private final long initialParams;
    private final double initialFlops;
    private final List<AutoCloseable> dependents = new CopyOnWriteArrayList<>();
    private final AtomicReference<Object> trainer = new AtomicReference<>();  // the one that trains it
    private long lastStep;
    private Normalizer normalizer;  // mirrors the native model's (model_normalizer); null: none

    static {
        Access.register(new Access.Models() {
            @Override
            public Object restore(LayerpruneNative.Model h, Object spec, long initialParams, double initialFlops) {
                return new Model(h, (ModelSpec) spec, initialParams, initialFlops);
            }

            @Override
            public void lastStep(Object model, long step) {
                ((Model) model).lastStep = step;
            }

            @Override
            public void own(Object model, AutoCloseable dependent) {
                ((Model) model).dependents.add(dependent);
            }

            @Override
            public void disown(Object model, AutoCloseable dependent) {
                ((Model) model).dependents.remove(dependent);
                ((Model) model).trainer.compareAndSet(dependent, null);
            }

            @Override
            public void unbindTrainer(Object model, Object trainer) {
                ((Model) model).trainer.compareAndSet(trainer, null);
            }

            @Override
            public Object bindTrainer(Object model, Object trainer) {
                Object bound = ((Model) model).trainer.compareAndExchange(null, trainer);
                return bound == trainer ? null : bound;
            }
        });
    }

    private Model(LayerpruneNative.Model handle, ModelSpec spec) {
        super("model", handle);
        adopt(handle, LayerpruneNative::model_destroy, nativeBytesOf(handle));
        this.handle = handle;
        this.spec = spec;
        try {
            this.initialParams = callLong(() -> LayerpruneNative.model_params(handle));
            this.initialFlops =
                    callDouble(() -> LayerpruneNative.model_flops_per_sample(handle, EvalMode.EXPECTED.code()));
        } catch (RuntimeException e) {
            close();  // frees handle now rather than on collection
            throw e;
        }
    }

    /** A model restored from a checkpoint: its size at creation comes from the file, not from now. */
    private Model(LayerpruneNative.Model handle, ModelSpec spec, long initialParams, double initialFlops) {
        super("model", handle);
        adopt(handle, LayerpruneNative::model_destroy, nativeBytesOf(handle));
        this.handle = handle;
        this.spec = spec;
        this.initialParams = initialParams;
        this.initialFlops = initialFlops;
        try {
            int groups = (int) callLong(() -> LayerpruneNative.model_normalizer_groups(handle));
            if (groups > 0) {
                double[] mean = new double[groups];
                double[] std = new double[groups];
                run(() -> LayerpruneNative.model_normalizer(handle, mean, std));
                this.normalizer = Normalizer.of(mean, std);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Saves this model alone (no optimizer state) to {@code file}, atomically;
     * {@code io.layerprune.checkpoint.Checkpoint.loadModel} reads it. To save a training run that can
     * be resumed, use {@code Trainer.save}.
     */
    public void save(Path file) {
        ensureOpen();
        Objects.requireNonNull(file, "file");
        String metadata = CheckpointMetadata.write(initialParams, initialFlops, null, null);
        run(() -> CheckpointMetadata.save(handle, null, metadata, file));
    }

    static Model create(ModelSpec spec, Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        LayerpruneNative.Model h = Native.call(() -> spec.createNative(device));
        if (h == null || h.isNull()) {
            throw new LayerpruneException("the native core returned no model for " + spec.type());
        }
        return new Model(h, spec);  // owns h from its first line: a failure after it frees h on collection
    }

    /** The architecture this model was built from. */
    public ModelSpec spec() {
        return spec;
    }

    /** Features per sample the model expects. */
    public long inputSize() {
        ensureOpen();
        return spec.inputSize();
    }

    /** Output classes. */
    public int classes() {
        ensureOpen();
        return spec.classes();
    }

    /** Number of gated sections L (pruned ones included). */
    public int sections() {
        ensureOpen();
        return callInt(() -> LayerpruneNative.model_sections(handle));
    }

    /** Snapshot of section {@code index}. */
    public SectionState section(int index) {
        ensureOpen();
        int n = sections();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + n + "), got " + index);
        }
        try (LayerpruneNative.SectionInfo info = new LayerpruneNative.SectionInfo()) {
            run(() -> LayerpruneNative.model_section_info(handle, index, info));
            return new SectionState(info.index(), info.in_width(), info.out_width(), info.weights(),
                    info.has_projection() != 0, info.theta(), info.pruned() != 0, info.pruned_at_step(),
                    info.weight_norm2());
        }
    }

    /**
     * theta_l of section {@code index} alone: unlike {@link #section} it does not scan the
     * section's weights, so it is cheap enough to call every step.
     */
    public double theta(int index) {
        ensureOpen();
        int n = sections();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + n + "), got " + index);
        }
        return callDouble(() -> LayerpruneNative.model_theta(handle, index));
    }

    /** Snapshots of every section, in order. */
    public List<SectionState> sectionStates() {
        int n = sections();
        List<SectionState> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(section(i));
        }
        return out;
    }

    /** theta_l of every section (pruned sections report their last theta, usually 0). */
    public double[] thetas() {
        return sectionStates().stream().mapToDouble(SectionState::theta).toArray();
    }

    /** Sections not pruned. */
    public int liveSections() {
        return (int) sectionStates().stream().filter(s -> !s.pruned()).count();
    }

    /** Sets theta_l of an unpruned section (the native core rejects pruned ones). */
    public void setTheta(int index, double theta) {
        ensureOpen();
        if (!(theta >= 0 && theta <= 1)) {
            throw new IllegalArgumentException("theta must be in [0, 1], got " + theta);
        }
        int n = sections();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + n + "), got " + index);
        }
        run(() -> LayerpruneNative.model_set_theta(handle, index, theta));
    }

    /** Parameters held now (pruned sections excluded). */
    public long params() {
        ensureOpen();
        return callLong(() -> LayerpruneNative.model_params(handle));
    }

    /** Parameters when the model was created (every section present). */
    public long initialParams() {
        return initialParams;
    }

    /** FLOPs of one forward pass of one sample in the given mode. */
    public double flopsPerSample(EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(mode, "mode");
        return callDouble(() -> LayerpruneNative.model_flops_per_sample(handle, mode.code()));
    }

    /** FLOPs per sample of the expected network when the model was created. */
    public double initialFlopsPerSample() {
        return initialFlops;
    }

    /** Mean loss and accuracy on a data set. */
    public Evaluation evaluate(Dataset data, EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(mode, "mode");
        checkCompatible(data);
        if (data.size() == 0) {
            throw new IllegalArgumentException("cannot evaluate on an empty data set (" + data.name() + ")");
        }
        try (LayerpruneNative.EvalStats stats = new LayerpruneNative.EvalStats()) {
            NativeHandle.runWith(() -> LayerpruneNative.model_evaluate(handle,
                    NativeHandle.pointer(data, LayerpruneNative.Dataset.class), mode.code(), stats), this, data);
            return new Evaluation(stats.loss(), stats.accuracy(), stats.samples());
        }
    }

    /**
     * What turns raw features into the training data's: set by {@code Trainer.fit} from its training
     * set ({@link Dataset#normalizer()}) or by {@link #setNormalizer}, stored in checkpoints and
     * exports, applied by {@link #predict}. Empty: features are used as given.
     */
    @Override
    public Optional<Normalizer> normalizer() {
        ensureOpen();
        return Optional.ofNullable(normalizer);
    }

    /**
     * Sets the normalisation {@link #predict} applies to raw features (null: none); the data sets this
     * model is evaluated on must carry the same one.
     *
     * @throws IllegalArgumentException if its groups do not divide {@link #inputSize()}
     */
    public void setNormalizer(Normalizer normalizer) {
        ensureOpen();
        if (normalizer != null && !normalizer.fits(spec.inputSize())) {
            throw new IllegalArgumentException("the normalizer's " + normalizer.groups() + " groups do not divide the "
                    + spec.inputSize() + " features per sample of the model");
        }
        double[] mean = normalizer == null ? null : normalizer.mean();
        double[] std = normalizer == null ? null : normalizer.std();
        int groups = normalizer == null ? 0 : normalizer.groups();
        run(() -> LayerpruneNative.model_set_normalizer(handle, mean, std, groups));
        this.normalizer = normalizer;
    }

    /** Logits of the deterministic network ({@link EvalMode#DETERMINISTIC}, what an export computes). */
    @Override
    public float[] predict(float[] features, int count) {
        return predict(features, count, EvalMode.DETERMINISTIC);
    }

    /** Logits of the deterministic network for the remaining floats of {@code features}. */
    @Override
    public float[] predict(FloatBuffer features, int count) {
        return predict(features, count, EvalMode.DETERMINISTIC);
    }

    /**
     * Logits of {@code count} samples in the given mode.
     *
     * @param features {@code count * inputSize()} finite raw floats (the {@link #normalizer()} is applied)
     * @return {@code count * classes()} logits, sample after sample
     */
    public float[] predict(float[] features, int count, EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(mode, "mode");
        Checks.features(features, count, spec.inputSize(), "features");
        if (count == 0) {
            return new float[0];
        }
        try (FloatPointer in = new FloatPointer(features)) {
            return predict(in, count, mode);
        }
    }

    /** {@link #predict(float[], int, EvalMode)} of a buffer's remaining floats (a direct one is not copied). */
    public float[] predict(FloatBuffer features, int count, EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(mode, "mode");
        Checks.features(features, count, spec.inputSize(), "features");
        if (count == 0) {
            return new float[0];
        }
        FloatBuffer view = features.slice();
        float[] heap = null;
        if (!view.isDirect()) {
            heap = new float[view.remaining()];
            view.duplicate().get(heap);
        }
        try (FloatPointer in = heap == null ? new FloatPointer(view) : new FloatPointer(heap)) {
            return predict(in, count, mode);
        }
    }

    private float[] predict(FloatPointer in, int count, EvalMode mode) {
        long outLen = (long) count * spec.classes();
        if (outLen > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("count too large: " + count + " samples of " + spec.classes()
                    + " logits do not fit a float[]");
        }
        try (FloatPointer out = new FloatPointer(outLen)) {
            run(() -> LayerpruneNative.model_predict(handle, in, count, mode.code(), out));
            float[] logits = new float[(int) outLen];
            out.get(logits);
            return logits;
        }
    }

    /**
     * Sets the precision of the model's matrix products for {@code predict}, {@code evaluate} and
     * training ({@link Precision}): bf16 rounds their inputs, accumulates and outputs in f32; the
     * weights stay f32. A new or loaded model runs {@link Precision#FP32}; a trainer's {@code fit}
     * sets the model to its config's precision, which then stays until set again.
     *
     * @throws IllegalStateException while a trainer is open on the model (its {@code fit} ran or runs
     *     and it is not closed) and {@code precision} differs from the trainer's: set
     *     {@code TrainConfig.Builder.precision} instead, or close the trainer first
     * @throws LayerpruneException where the device cannot run it (a CPU without AVX512-BF16 or AMX-BF16,
     *     see {@link Precision#unsupportedReason()}; the CUDA backend for bf16); the model is unchanged
     */
    public void setPrecision(Precision precision) {
        ensureOpen();
        Objects.requireNonNull(precision, "precision");
        if (trainer.get() != null) {
            Precision current = precision();
            if (precision != current) {
                throw new IllegalStateException("could not set the precision of the model to " + precision
                        + " because a trainer is open on it, training in " + current
                        + " (set TrainConfig's precision, or close the trainer first)");
            }
        }
        run(() -> LayerpruneNative.model_set_precision(handle, precision.code()));
    }

    /** The precision of the model's matrix products now (see {@link #setPrecision}). */
    public Precision precision() {
        ensureOpen();
        return Precision.fromCode(callInt(() -> LayerpruneNative.model_precision(handle)));
    }

    /**
     * Makes the network deterministic (ALGORITHM.md section 5): prunes every section with
     * theta &lt; 0.5 and fixes the others at xi = 1. Sections pruned here record the last training
     * step of this model (0 if it was never trained). {@code Trainer.fit} does this at its end.
     */
    public void determinize() {
        ensureOpen();
        long step = lastStep;
        run(() -> LayerpruneNative.model_determinize(handle, step));
    }

    /** Bytes of native memory the model holds now (weights, optimizer-free). */
    public long nativeBytes() {
        ensureOpen();
        return callLong(() -> LayerpruneNative.model_native_bytes(handle));
    }

    private void checkCompatible(Dataset data) {
        Checks.compatible(data.name(), data.dim(), data.classes(), spec.inputSize(), spec.classes(), "the model");
        checkNormalized(data);
    }

    /**
     * Throws IllegalArgumentException when this model carries a normalizer and {@code data} was not
     * made with the same one (its features would not be what the network was trained on).
     */
    void checkNormalized(Dataset data) {
        if (normalizer != null && !data.normalizer().equals(Optional.of(normalizer))) {
            throw new IllegalArgumentException("dataset " + data.name() + " is "
                    + data.normalizer().map(n -> "normalised with " + n).orElse("not normalised")
                    + " but the model was trained on data normalised with " + normalizer
                    + " (use dataset.normalized(model.normalizer().get()) on raw features)");
        }
    }

    /** Weights and buffers of a new native model, for {@link #adopt}; 0 if it cannot tell. */
    private static long nativeBytesOf(LayerpruneNative.Model handle) {
        try {
            return LayerpruneNative.model_native_bytes(handle);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    /** The trainers first: their calls hold this model's read lock. */
    @Override
    protected void beforeClose() {
        for (AutoCloseable t : dependents) {
            try {
                t.close();
            } catch (Exception e) {
                throw new LayerpruneException("could not close a trainer of the model: " + e.getMessage(), e);
            }
        }
        dependents.clear();
    }

    @Override
    public String toString() {
        return "Model[" + spec + (isClosed() ? ", closed]" : "]");
    }
}
