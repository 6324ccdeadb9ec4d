package io.layerprune.inference;

import io.layerprune.DataException;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.data.Dataset;
import io.layerprune.data.Normalizer;
import io.layerprune.internal.Checks;
import io.layerprune.internal.Json;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Architecture;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.Precision;
import io.layerprune.model.Predictor;
import io.layerprune.model.zoo.ConvPreset;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.bytedeco.javacpp.FloatPointer;

/**
 * The deterministic final network of a trained {@link Model} as an inference-only network
 * (ALGORITHM.md section 5): sections with theta &lt; 0.5 and pruned sections removed, consecutive
 * linear maps (projection skips, a projection and the head) folded into one, batch norms folded into
 * their convolutions. It holds only the surviving weights: no gradients, no momentum, no theta.
 *
 * <p>Create one with {@link #of(Model)} or {@link #export(Model, Path)}, read one with
 * {@link #load(Path)}. The file ({@code LPEXPORT} container: versioned, CRC-32 checksummed, written
 * atomically) stores the graph, the weights and the source model's spec as JSON.
 * {@code io.layerprune.onnx.OnnxWriter} (artifact {@code io.layerprune:layerprune-onnx}) writes the same
 * network as ONNX.
 *
 * <p>Owns native memory: close it when done (one never closed is freed once unreachable, with a
 * warning in the log). Thread-safe: share one across request threads; the native side runs one
 * call at a time (each call uses all native threads), so every call gives exactly its
 * single-threaded result; {@link #close()} waits for calls in flight. For inference that scales
 * with Java threads instead, give each thread its own copy ({@link #load}) and set the native
 * threads to 1 ({@code Layerprune.setThreads}).
 */
public final class ExportedModel extends NativeHandle implements Predictor {
    private final LayerpruneNative.ExportedModel handle;
    private final Summary summary;
    private final String metadata;
    private final Normalizer normalizer;  // of the source model, or null

    /** What the exported network holds and what export removed. */
    public record Summary(long inputSize, boolean imageInput, long channels, long height, long width, int classes,
            long params, double flopsPerSample, int sectionsTotal, int sectionsKept, int foldedMaps,
            int foldedBatchNorms, boolean postActivation, int ops) {}

    /** A per-sample value shape, NHWC: channels x height x width ((n, 1, 1) for dense values). */
    public record Value(long channels, long height, long width) {
        public long size() {
            return channels * height * width;
        }
    }

    /**
     * One op of the graph (see native/include/layerprune/api_export.h for the kinds): kernel, stride
     * and pad of convolutions and max pools, ceil mode of max pools.
     */
    public record Op(OpKind kind, int input, int input2, int output, int weight, int bias, long kernel, long stride,
            long pad, boolean relu, boolean ceil) {}

    /** Op kinds, in the native code's numbering. */
    public enum OpKind {
        DENSE, CONV, ADD, MAXPOOL, GLOBAL_AVGPOOL, FLATTEN
    }

    /** A weight tensor: dense (K, C), conv (K, C, k, k), bias (K). */
    public record Tensor(long[] shape, float[] data) {}

    /**
     * The whole graph: values[0] is the input, ops in execution order, {@code output} the logits;
     * {@code normalizer} (null: none) is applied to the raw input before the first op.
     */
    public record Graph(Summary summary, List<Value> values, List<Op> ops, List<Tensor> tensors, int output,
            Normalizer normalizer) {
        /** A graph without normalisation. */
        public Graph(Summary summary, List<Value> values, List<Op> ops, List<Tensor> tensors, int output) {
            this(summary, values, ops, tensors, output, null);
        }
    }

    private ExportedModel(LayerpruneNative.ExportedModel handle) {
        super("exported model");
        adopt(handle, LayerpruneNative::exported_destroy, nativeBytesOf(handle));
        this.handle = handle;
        try {
            try (LayerpruneNative.ExportSummary s = new LayerpruneNative.ExportSummary()) {
                run(() -> LayerpruneNative.exported_summary(handle, s));
                this.summary = new Summary(s.input_size(), s.image_input() != 0, s.channels(), s.height(),
                        s.width(), s.classes(), s.params(), s.flops_per_sample(), s.sections_total(),
                        s.sections_kept(), s.folded_maps(), s.folded_batchnorms(), s.post_activation() != 0, s.ops());
            }
            this.metadata = call(() -> LayerpruneNative.exported_metadata(handle));
            int groups = (int) callLong(() -> LayerpruneNative.exported_normalizer_groups(handle));
            if (groups > 0) {
                double[] mean = new double[groups];
                double[] std = new double[groups];
                run(() -> LayerpruneNative.exported_normalizer(handle, mean, std));
                this.normalizer = Normalizer.of(mean, std);
            } else {
                this.normalizer = null;
            }
        } catch (RuntimeException e) {
            close();  // frees handle now rather than on collection
            throw e;
        }
    }

    /** Weights and buffers of a new exported network, for {@link #adopt}; 0 if it cannot tell. */
    private static long nativeBytesOf(LayerpruneNative.ExportedModel handle) {
        try {
            return LayerpruneNative.exported_native_bytes(handle);
        } catch (RuntimeException e) {
            return 0;
        }
    }

    private static ExportedModel wrap(LayerpruneNative.ExportedModel h) {
        if (h == null || h.isNull()) {
            throw new LayerpruneException("the native core returned no exported model");
        }
        return new ExportedModel(h);  // owns h from its constructor's first line
    }

    /**
     * The exported network of the model's deterministic network (the model is not changed: sections
     * with theta &lt; 0.5 are left out of the export, not pruned in the model).
     */
    public static ExportedModel of(Model model) {
        Objects.requireNonNull(model, "model");
        ExportedModel e = wrap(NativeHandle.callWith(() -> LayerpruneNative.exported_from_model(
                NativeHandle.pointer(model, LayerpruneNative.Model.class)), model));
        e.sourceSpec = model.spec();
        return e;
    }

    private ModelSpec sourceSpec;

    /**
     * Writes the deterministic final network of {@code model} to {@code file} as an exported network
     * (ALGORITHM.md section 5: pruned sections removed, linear maps folded); the model is not changed.
     * The same as {@code try (ExportedModel e = ExportedModel.of(model)) { e.save(file); }}.
     */
    public static void export(Model model, Path file) {
        Objects.requireNonNull(file, "file");
        try (ExportedModel exported = of(model)) {
            exported.save(file);
        }
    }

    /**
     * Reads an exported network written by {@link #save} or {@code layerprune export}.
     *
     * @throws DataException when the file is missing, truncated, corrupt (checksum), of another kind
     *     (a checkpoint, a foreign file) or of a newer format version; the message names the file
     */
    public static ExportedModel load(Path file) {
        Objects.requireNonNull(file, "file");
        try {
            return wrap(Native.call(() -> LayerpruneNative.exported_load(file.toString())));
        } catch (LayerpruneException e) {
            throw new DataException(e.getMessage(), e);
        }
    }

    /** Writes the file atomically (a crash leaves the old file or the new one, never a mix). */
    public void save(Path file) {
        ensureOpen();
        Objects.requireNonNull(file, "file");
        String meta = sourceSpec != null ? specJson(sourceSpec) : metadata;
        run(() -> LayerpruneNative.exported_save(handle, file.toString(), meta));
    }

    public Summary summary() {
        ensureOpen();
        return summary;
    }

    /** Features per sample (NHWC order for images), as the source model. */
    public long inputSize() {
        return summary().inputSize();
    }

    public int classes() {
        return summary().classes();
    }

    /**
     * The source model's spec, when known (recorded in the file by {@link #export(Model, Path)} or
     * {@link #save}): lets tools rebuild the unpruned equivalent for comparisons.
     */
    public Optional<ModelSpec> sourceSpec() {
        ensureOpen();
        if (sourceSpec != null) {
            return Optional.of(sourceSpec);
        }
        return parseSpec(metadata);
    }

    /**
     * The source model's normalisation, applied by {@link #predict} to raw features (stored in the
     * file; empty for a model trained on data used as given).
     */
    @Override
    public Optional<Normalizer> normalizer() {
        ensureOpen();
        return Optional.ofNullable(normalizer);
    }

    /**
     * Logits of {@code count} samples.
     *
     * @param features {@code count * inputSize()} finite raw floats (the {@link #normalizer()} is applied)
     * @return {@code count * classes()} logits, sample after sample
     */
    @Override
    public float[] predict(float[] features, int count) {
        ensureOpen();
        Checks.features(features, count, summary.inputSize(), "features");
        if (count == 0) {
            return new float[0];
        }
        try (FloatPointer x = new FloatPointer(features)) {
            return predict(x, count);
        }
    }

    /** {@link #predict(float[], int)} of a buffer's remaining floats (a direct one is not copied). */
    @Override
    public float[] predict(FloatBuffer features, int count) {
        ensureOpen();
        Checks.features(features, count, summary.inputSize(), "features");
        if (count == 0) {
            return new float[0];
        }
        FloatBuffer view = features.slice();
        float[] heap = null;
        if (!view.isDirect()) {
            heap = new float[view.remaining()];
            view.duplicate().get(heap);
        }
        try (FloatPointer x = heap == null ? new FloatPointer(view) : new FloatPointer(heap)) {
            return predict(x, count);
        }
    }

    private float[] predict(FloatPointer x, int count) {
        long outLen = (long) count * summary.classes();
        if (outLen > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("count too large: " + count + " samples of " + summary.classes()
                    + " logits do not fit a float[]");
        }
        try (FloatPointer y = new FloatPointer(outLen)) {
            run(() -> LayerpruneNative.exported_predict(handle, x, count, y));
            float[] logits = new float[(int) outLen];
            y.get(logits);
            return logits;
        }
    }

    /** Mean loss and accuracy on a data set. */
    public Evaluation evaluate(Dataset data) {
        ensureOpen();
        Objects.requireNonNull(data, "data");
        if (data.dim() != summary.inputSize()) {
            throw new IllegalArgumentException("dataset " + data.name() + " has " + data.dim()
                    + " features per sample but the exported model expects " + summary.inputSize());
        }
        if (data.size() == 0) {
            throw new IllegalArgumentException("cannot evaluate on an empty data set (" + data.name() + ")");
        }
        if (normalizer != null && !data.normalizer().equals(Optional.of(normalizer))) {
            throw new IllegalArgumentException("dataset " + data.name() + " is "
                    + data.normalizer().map(n -> "normalised with " + n).orElse("not normalised")
                    + " but the exported model was trained on data normalised with " + normalizer);
        }
        try (LayerpruneNative.EvalStats stats = new LayerpruneNative.EvalStats()) {
            NativeHandle.runWith(() -> LayerpruneNative.exported_evaluate(handle,
                    NativeHandle.pointer(data, LayerpruneNative.Dataset.class), stats), this, data);
            return new Evaluation(stats.loss(), stats.accuracy(), stats.samples());
        }
    }

    /** The graph with its weights (copied to the Java heap), for writers of other formats. */
    public Graph graph() {
        ensureOpen();
        try (LayerpruneNative.ExportSummary s = new LayerpruneNative.ExportSummary()) {
            run(() -> LayerpruneNative.exported_summary(handle, s));
            List<Value> values = new ArrayList<>();
            try (LayerpruneNative.ExportValueInfo v = new LayerpruneNative.ExportValueInfo()) {
                for (int i = 0; i < s.values(); i++) {
                    int index = i;
                    run(() -> LayerpruneNative.exported_value(handle, index, v));
                    values.add(new Value(v.channels(), v.height(), v.width()));
                }
            }
            List<Op> ops = new ArrayList<>();
            OpKind[] kinds = OpKind.values();
            try (LayerpruneNative.ExportOpInfo o = new LayerpruneNative.ExportOpInfo()) {
                for (int i = 0; i < s.ops(); i++) {
                    int index = i;
                    run(() -> LayerpruneNative.exported_op(handle, index, o));
                    ops.add(new Op(kinds[o.kind()], o.input(), o.input2(), o.output(), o.weight(), o.bias(), o.kernel(),
                            o.stride(), o.pad(), o.relu() != 0, o.ceil() != 0));
                }
            }
            List<Tensor> tensors = new ArrayList<>();
            for (int i = 0; i < s.tensors(); i++) {
                int index = i;
                int rank = callInt(() -> LayerpruneNative.exported_tensor_rank(handle, index));
                long[] shape = new long[rank];
                run(() -> LayerpruneNative.exported_tensor_shape(handle, index, shape));
                long n = callLong(() -> LayerpruneNative.exported_tensor_size(handle, index));
                float[] data = new float[(int) n];
                run(() -> LayerpruneNative.exported_tensor_data(handle, index, data));
                tensors.add(new Tensor(shape, data));
            }
            return new Graph(summary, List.copyOf(values), List.copyOf(ops), List.copyOf(tensors), s.output(),
                    normalizer);
        }
    }

    /**
     * Sets the precision of the network's matrix products for {@code predict} and {@code evaluate}
     * ({@link Precision}; the weights stay f32). An exported network starts in {@link Precision#FP32},
     * whatever the precision of the model it was exported from or trained in.
     *
     * @throws LayerpruneException where the device cannot run it (a CPU without AVX512-BF16 or AMX-BF16,
     *     see {@link Precision#unsupportedReason()}); the network is unchanged
     */
    public void setPrecision(Precision precision) {
        ensureOpen();
        Objects.requireNonNull(precision, "precision");
        run(() -> LayerpruneNative.exported_set_precision(handle, precision.code()));
    }

    /** The precision of the network's matrix products now (see {@link #setPrecision}). */
    public Precision precision() {
        ensureOpen();
        return Precision.fromCode(callInt(() -> LayerpruneNative.exported_precision(handle)));
    }

    /** Bytes of native memory held (weights and workspace). */
    public long nativeBytes() {
        ensureOpen();
        return callLong(() -> LayerpruneNative.exported_native_bytes(handle));
    }


    /**
     * {"type": ..., "class": ..., "spec": {record components}}: enough to rebuild the spec; an
     * {@link Architecture}'s spec is {"architecture": its description, "seed": ...}.
     */
    static String specJson(ModelSpec spec) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("type", spec.type());
        root.put("class", spec.getClass().getName());
        if (spec instanceof Architecture a) {
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("architecture", Json.parse(a.toJson()));
            s.put("seed", a.seed());
            root.put("spec", s);
        } else {
            root.put("spec", Json.toTree(spec, Json.Naming.AS_IS));
        }
        return Json.write(root);
    }

    /**
     * The source model's architecture description (JSON, as {@link Architecture#toJson}), recorded by
     * the native export; empty for files written before descriptions existed.
     */
    public String architectureJson() {
        ensureOpen();
        return call(() -> LayerpruneNative.exported_architecture(handle));
    }

    static Optional<ModelSpec> parseSpec(String metadata) {
        if (metadata == null || metadata.isBlank()) {
            return Optional.empty();
        }
        try {
            Object root = Json.parse(metadata);
            Object cls = Json.member(root, "class");
            // Files written before the API moved to packages by concern name the old classes.
            if (cls != null && (cls.toString().equals(Architecture.class.getName())
                    || cls.toString().equals("io.layerprune.Architecture"))) {
                Object spec = Json.member(root, "spec");
                Object seed = Json.member(spec, "seed");
                return Optional.of(Architecture.fromJson(Json.write(Json.member(spec, "architecture")))
                        .withSeed(seed instanceof Number n ? n.longValue() : 1));
            }
            Class<? extends ModelSpec> type = cls == null ? null : switch (cls.toString()) {
                case "io.layerprune.model.zoo.ResidualMlp$Spec", "io.layerprune.ResidualMlp$Spec" -> ResidualMlp.Spec.class;
                case "io.layerprune.model.zoo.ResNet$Spec", "io.layerprune.ResNet$Spec" -> ResNet.Spec.class;
                case "io.layerprune.model.zoo.ConvPreset$Spec", "io.layerprune.ConvPreset$Spec" -> ConvPreset.Spec.class;
                default -> null;
            };
            if (type == null || !(Json.member(root, "spec") instanceof Map)) {
                return Optional.empty();
            }
            return Optional.of(Json.fromTree(Json.member(root, "spec"), type, Json.Naming.AS_IS));
        } catch (RuntimeException e) {
            return Optional.empty();  // metadata is informative; an unreadable one only loses the spec
        }
    }
}
