package io.layerprune.model;

import io.layerprune.Device;
import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.checkpoint.CheckpointState;
import io.layerprune.data.Dataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.train.Estimator;
import io.layerprune.train.EstimatorCheck;
import io.layerprune.train.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.bytedeco.javacpp.FloatPointer;

/**
 * A gated residual network held by the native core: weights, theta, the pruned set. Build one with
 * {@link ResidualMlp} or {@link ResNet}; train it with {@link Trainer}.
 *
 * <p>Owns native memory: close it when done (closing it also closes the trainers bound to it).
 * Not thread-safe: use a model, its trainer and its data sets from one thread at a time.
 */
public final class Model extends NativeHandle {
    private final LayerpruneNative.Model handle;
    private final ModelSpec spec;
    private final long initialParams;
    private final double initialFlops;
    private final List<Trainer> trainers = new ArrayList<>();
    private long lastStep;

    private Model(LayerpruneNative.Model handle, ModelSpec spec) {
        super("model");
        this.handle = handle;
        this.spec = spec;
        this.initialParams = Native.callLong(() -> LayerpruneNative.model_params(handle));
        this.initialFlops =
                Native.callDouble(() -> LayerpruneNative.model_flops_per_sample(handle, EvalMode.EXPECTED.code()));
    }

    /** A model restored from a checkpoint: its size at creation comes from the file, not from now. */
    private Model(LayerpruneNative.Model handle, ModelSpec spec, long initialParams, double initialFlops) {
        super("model");
        this.handle = handle;
        this.spec = spec;
        this.initialParams = initialParams;
        this.initialFlops = initialFlops;
    }

    public static Model restored(LayerpruneNative.Model h, ModelSpec spec, long initialParams, double initialFlops) {
        return new Model(h, spec, initialParams, initialFlops);
    }

    /**
     * Loads the model of a checkpoint ({@link Trainer#save} or {@link #save}) for evaluation or
     * prediction: architecture, weights, theta and the pruned set. The caller closes it. To continue
     * training, use {@link Checkpoint#load} instead.
     *
     * @throws LayerpruneException naming the problem for a missing, truncated, corrupt, foreign or
     *     too new file
     */
    public static Model load(java.nio.file.Path file) {
        try (Checkpoint c = Checkpoint.load(file)) {
            return c.takeModel();
        }
    }

    /**
     * Saves this model alone (no optimizer state) to {@code file}, atomically; {@link #load} reads it.
     * To save a training run that can be resumed, use {@link Trainer#save}.
     */
    public void save(java.nio.file.Path file) {
        ensureOpen();
        saveWith(null, null, null, file);
    }

    public void saveWith(LayerpruneNative.Trainer trainer, CheckpointState.Progress progress, String metadata,
            java.nio.file.Path file) {
        Objects.requireNonNull(file, "file");
        String json = CheckpointState.toJson(new CheckpointState.Saved(CheckpointState.FORMAT, initialParams,
                initialFlops, progress, metadata));
        String path = file.toAbsolutePath().toString();
        Native.run(() -> io.layerprune.bindings.LayerpruneNative.checkpoint_save(handle, trainer, json, path));
    }

    static Model create(ModelSpec spec, Device device) {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        LayerpruneNative.Model h = Native.call(() -> spec.createNative(device));
        if (h == null || h.isNull()) {
            throw new LayerpruneException("the native core returned no model for " + spec.type());
        }
        try {
            return new Model(h, spec);
        } catch (RuntimeException e) {
            LayerpruneNative.model_destroy(h);
            throw e;
        }
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
        return Native.callInt(() -> LayerpruneNative.model_sections(handle));
    }

    /** Snapshot of section {@code index}. */
    public SectionState section(int index) {
        ensureOpen();
        int n = sections();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("section index must be in [0, " + n + "), got " + index);
        }
        try (LayerpruneNative.SectionInfo info = new LayerpruneNative.SectionInfo()) {
            Native.run(() -> LayerpruneNative.model_section_info(handle, index, info));
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
        return Native.callDouble(() -> LayerpruneNative.model_theta(handle, index));
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

    /** Whether a live section's theta is strictly between 0 and 1 (expected and deterministic networks differ). */
    public boolean hasInteriorTheta() {
        int n = sections();
        for (int i = 0; i < n; i++) {
            double t = theta(i);
            if (t > 0 && t < 1) {
                return true;
            }
        }
        return false;
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
        Native.run(() -> LayerpruneNative.model_set_theta(handle, index, theta));
    }

    /** Parameters held now (pruned sections excluded). */
    public long params() {
        ensureOpen();
        return Native.callLong(() -> LayerpruneNative.model_params(handle));
    }

    /** Parameters when the model was created (every section present). */
    public long initialParams() {
        return initialParams;
    }

    /** FLOPs of one forward pass of one sample in the given mode. */
    public double flopsPerSample(EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(mode, "mode");
        return Native.callDouble(() -> LayerpruneNative.model_flops_per_sample(handle, mode.code()));
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
            Native.run(() -> LayerpruneNative.model_evaluate(handle, data.handle(), mode.code(), stats));
            return new Evaluation(stats.loss(), stats.accuracy(), stats.samples());
        }
    }

    /**
     * Logits of {@code count} samples.
     *
     * @param features {@code count * inputSize()} finite floats, normalised like the training data
     * @return {@code count * classes()} logits, sample after sample
     */
    public float[] predict(float[] features, int count, EvalMode mode) {
        ensureOpen();
        Objects.requireNonNull(features, "features");
        Objects.requireNonNull(mode, "mode");
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        long expected = (long) count * spec.inputSize();
        if (features.length != expected) {
            throw new IllegalArgumentException("features must hold count * inputSize = " + count + " * "
                    + spec.inputSize() + " = " + expected + " floats, got " + features.length);
        }
        for (int i = 0; i < features.length; i++) {
            if (!Float.isFinite(features[i])) {
                // The native forward pass would turn it into silent garbage (NaN logits, or 0 after a
                // ReLU); data sets reject non-finite features the same way.
                throw new IllegalArgumentException("features must be finite: feature " + i % spec.inputSize()
                        + " of sample " + i / spec.inputSize() + " is " + features[i]);
            }
        }
        if (count == 0) {
            return new float[0];
        }
        long outLen = (long) count * spec.classes();
        if (outLen > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("count too large: " + count + " samples of " + spec.classes()
                    + " logits do not fit a float[]");
        }
        try (FloatPointer in = new FloatPointer(features); FloatPointer out = new FloatPointer(outLen)) {
            Native.run(() -> LayerpruneNative.model_predict(handle, in, count, mode.code(), out));
            float[] logits = new float[(int) outLen];
            out.get(logits);
            return logits;
        }
    }

    /**
     * Makes the network deterministic (ALGORITHM.md section 5): prunes every section with
     * theta &lt; 0.5 and fixes the others at xi = 1. Sections pruned here record the last training
     * step of this model (0 if it was never trained). {@link Trainer#fit} does this at its end.
     */
    public void determinize() {
        ensureOpen();
        long step = lastStep;
        Native.run(() -> LayerpruneNative.model_determinize(handle, step));
    }

    /**
     * Writes the deterministic final network as an exported file (ALGORITHM.md section 5: pruned
     * sections removed, linear maps folded; see {@link ExportedModel}). The model is not changed.
     */
    public void export(java.nio.file.Path file) {
        try (ExportedModel exported = ExportedModel.of(this)) {
            exported.save(file);
        }
    }

    /** Most sections {@link #checkEstimator} can enumerate (2^16 gate patterns). */
    public static final int MAX_CHECK_SECTIONS = 16;

    /**
     * Checks an estimator of the data part of dJ/dtheta against the exact expectation over all
     * 2^L gate patterns (ALGORITHM.md section 3) at the model's current weights and theta, on the
     * first {@code rows} samples of {@code data}. Overwrites the model's workspace only.
     *
     * @param fraction two-point: fraction of the live sections re-run; budgeted: its FLOP budget; in (0, 1]
     * @param samples Monte-Carlo draws of the gate vector (>= 2)
     * @param seed seed of the draws
     * @param lambda prior strength for the prior part (>= 0)
     * @param s2 per-weight variance floor (> 0)
     * @param nTrain N of the objective (> 0)
     * @throws IllegalArgumentException for bad arguments or more than {@value #MAX_CHECK_SECTIONS} sections
     */
    public EstimatorCheck checkEstimator(Dataset data, long rows, Estimator estimator, double fraction, long samples,
            long seed, double lambda, double s2, double nTrain) {
        ensureOpen();
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(estimator, "estimator");
        checkCompatible(data);
        int n = sections();
        if (n > MAX_CHECK_SECTIONS) {
            throw new IllegalArgumentException("exact enumeration needs at most " + MAX_CHECK_SECTIONS
                    + " sections, the model has " + n);
        }
        if (rows <= 0 || rows > data.size()) {
            throw new IllegalArgumentException("rows must be in [1, " + data.size() + "] (the data set's size), got "
                    + rows);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        if (samples < 2) {
            throw new IllegalArgumentException("samples must be >= 2 (a standard deviation needs two), got " + samples);
        }
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be >= 0, got " + lambda);
        }
        if (!(s2 > 0) || !Double.isFinite(s2)) {
            throw new IllegalArgumentException("s2 must be > 0, got " + s2);
        }
        if (!(nTrain > 0) || !Double.isFinite(nTrain)) {
            throw new IllegalArgumentException("nTrain must be > 0, got " + nTrain);
        }
        double[] exact = new double[n];
        double[] mean = new double[n];
        double[] stddev = new double[n];
        double[] prior = new double[n];
        double loss = Native.callDouble(() -> LayerpruneNative.estimator_check(handle, data.handle(), rows,
                estimator.code(), fraction, samples, seed, lambda, s2, nTrain, exact, mean, stddev, prior));
        return new EstimatorCheck(estimator, fraction, rows, samples, loss, exact, mean, stddev, prior);
    }

    /** Bytes of native memory the model holds now (weights, optimizer-free). */
    public long nativeBytes() {
        ensureOpen();
        return Native.callLong(() -> LayerpruneNative.model_native_bytes(handle));
    }

    public void checkCompatible(Dataset data) {
        if (data.dim() != spec.inputSize()) {
            throw new IllegalArgumentException("dataset " + data.name() + " has " + data.dim()
                    + " features per sample but the model expects " + spec.inputSize());
        }
        if (data.classes() > spec.classes()) {
            throw new IllegalArgumentException("dataset " + data.name() + " has " + data.classes()
                    + " classes but the model has " + spec.classes() + " outputs");
        }
    }

    public void lastStep(long step) {
        this.lastStep = step;
    }

    public LayerpruneNative.Model handle() {
        ensureOpen();
        return handle;
    }

    public void register(Trainer trainer) {
        trainers.add(trainer);
    }

    public void unregister(Trainer trainer) {
        trainers.remove(trainer);
    }

    @Override
    protected void free() {
        for (Trainer t : new ArrayList<>(trainers)) {
            t.close();
        }
        trainers.clear();
        LayerpruneNative.model_destroy(handle);
        handle.setNull();
    }

    @Override
    public String toString() {
        return "Model[" + spec + (isClosed() ? ", closed]" : "]");
    }
}
