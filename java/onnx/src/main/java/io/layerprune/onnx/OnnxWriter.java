package io.layerprune.onnx;

import io.layerprune.inference.ExportedModel;
import io.layerprune.inference.ExportedModel.Graph;
import io.layerprune.inference.ExportedModel.Op;
import io.layerprune.inference.ExportedModel.Tensor;
import io.layerprune.inference.ExportedModel.Value;
import io.layerprune.runtime.Layerprune;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes an exported network as an ONNX model (IR version 8, opset 17), with the same input and
 * output as {@link ExportedModel#predict}: input {@code "input"} of shape (batch, inputSize) in
 * our feature order (NHWC for images), output {@code "logits"} (batch, classes).
 *
 * <p>Our activations are NHWC, ONNX's Conv/MaxPool/GlobalAveragePool work on NCHW: image input
 * is reshaped to (N, H, W, C) and transposed to NCHW once; a flatten (NHWC order in our graph)
 * transposes back to NHWC before flattening, so dense layers see the features in the order they
 * were trained on. Dense ops are Gemm (transB = 1, our weights are (out, in)), convolutions Conv
 * with their folded bias (any kernel, stride and padding: the ImageNet layout's 7x7 stride-2 stem too),
 * max pooling MaxPool with the op's kernel, stride, padding and ceil mode (VGG's and LeNet's 2x2 ceil-mode
 * pools, the ImageNet layout's 3x3 stride-2 padded pool).
 *
 * <p>A network trained on normalised data ({@link ExportedModel#normalizer()}) takes raw features
 * here too: the graph starts with {@code Sub} (the means) and {@code Div} (the standard
 * deviations), one value per input feature, computed in double between two {@code Cast}s, so that ONNX Runtime and {@link ExportedModel#predict}
 * give the same logits for the same raw input.
 *
 * <p>Field numbers are those of onnx.proto (onnx/onnx, stable since IR version 3).
 */
public final class OnnxWriter {
    static final long IR_VERSION = 8;
    static final long OPSET = 17;
    private static final int FLOAT = 1;
    private static final int INT64 = 7;
    private static final int DOUBLE = 11;

    // onnx.proto field numbers
    private static final int MODEL_IR_VERSION = 1, MODEL_PRODUCER_NAME = 2, MODEL_PRODUCER_VERSION = 3,
            MODEL_GRAPH = 7, MODEL_OPSET_IMPORT = 8;
    private static final int OPSET_DOMAIN = 1, OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1, GRAPH_NAME = 2, GRAPH_INITIALIZER = 5, GRAPH_INPUT = 11,
            GRAPH_OUTPUT = 12;
    private static final int NODE_INPUT = 1, NODE_OUTPUT = 2, NODE_NAME = 3, NODE_OP_TYPE = 4, NODE_ATTRIBUTE = 5;
    private static final int ATTR_NAME = 1, ATTR_I = 3, ATTR_INTS = 8, ATTR_TYPE = 20;
    private static final int ATTR_TYPE_INT = 2, ATTR_TYPE_INTS = 7;
    private static final int TENSOR_DIMS = 1, TENSOR_DATA_TYPE = 2, TENSOR_NAME = 8, TENSOR_RAW_DATA = 9;
    private static final int VALUE_NAME = 1, VALUE_TYPE = 2;
    private static final int TYPE_TENSOR = 1, TYPE_TENSOR_ELEM = 1, TYPE_TENSOR_SHAPE = 2;
    private static final int SHAPE_DIM = 1, DIM_VALUE = 1, DIM_PARAM = 2;

    private final Graph graph;
    private final Proto body = new Proto();  // GraphProto fields: nodes and initializers
    private final String[] name;   // ONNX name of each graph value
    private final int[] rank;      // 2: (N, C); 4: (N, C, H, W)
    private final Map<String, String> converted = new HashMap<>();  // "value->2d"/"->4d": the node's output
    private final Set<String> initializers = new HashSet<>();
    private int nodes;

    private OnnxWriter(Graph graph) {
        this.graph = graph;
        this.name = new String[graph.values().size()];
        this.rank = new int[graph.values().size()];
    }

    /**
     * Writes {@code model} as an ONNX model (opset 17) taking the same input as
     * {@link ExportedModel#predict} (what {@code ExportedModel.toOnnx} did before the ONNX writer got a
     * module of its own).
     */
    public static void write(ExportedModel model, Path file) throws IOException {
        java.util.Objects.requireNonNull(model, "model");
        java.util.Objects.requireNonNull(file, "file");
        write(model.graph(), file);
    }

    /** Writes the model to {@code file} (via a temporary file and a rename). */
    public static void write(Graph graph, Path file) throws IOException {
        byte[] model = toBytes(graph);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, model);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The serialized ModelProto. */
    public static byte[] toBytes(Graph graph) {
        return new OnnxWriter(graph).model();
    }

    private byte[] model() {
        ExportedModel.Summary s = graph.summary();
        Value in = graph.values().get(0);
        String input = "input";
        if (graph.normalizer() != null) {
            // Raw features: (x - mean) / std per input feature, in double and rounded once, as the
            // native core computes it (raw features far from 0 lose their low bits to a float mean).
            int dim = (int) s.inputSize();
            double[] mean = graph.normalizer().mean();
            double[] std = graph.normalizer().std();
            double[] m = new double[dim];
            double[] d = new double[dim];
            for (int i = 0; i < dim; i++) {
                m[i] = mean[i % mean.length];
                d[i] = std[i % std.length];
            }
            String wide = node("Cast", List.of(input), attr("to", DOUBLE));
            String centred = node("Sub", List.of(wide, doubles("normalizer.mean", m, dim)), new Proto[0]);
            String scaled = node("Div", List.of(centred, doubles("normalizer.std", d, dim)), new Proto[0]);
            input = node("Cast", List.of(scaled), attr("to", FLOAT));
        }
        if (s.imageInput()) {  // (N, H*W*C) -> (N, H, W, C) -> (N, C, H, W)
            String nhwc = node("Reshape", List.of(input, longs("shape.input", -1, in.height(), in.width(),
                    in.channels())), new Proto[0]);
            name[0] = node("Transpose", List.of(nhwc), ints("perm", 0, 3, 1, 2));
            rank[0] = 4;
        } else if (!input.equals("input")) {
            name[0] = input;
            rank[0] = 2;
        } else {
            name[0] = "input";
            rank[0] = 2;
        }
        for (Op op : graph.ops()) {
            emit(op);
        }
        String logits = as2d(graph.output());
        node("Identity", List.of(logits), List.of("logits"), new Proto[0]);

        Proto g = new Proto();
        byte[] nodesAndInitializers = body.toByteArray();
        g.string(GRAPH_NAME, "layerprune-" + s.sectionsKept() + "-of-" + s.sectionsTotal() + "-sections");
        g.message(GRAPH_INPUT, valueInfo("input", s.inputSize()));
        g.message(GRAPH_OUTPUT, valueInfo("logits", s.classes()));
        byte[] head = g.toByteArray();
        byte[] graphBytes = new byte[head.length + nodesAndInitializers.length];  // fields may come in any order
        System.arraycopy(head, 0, graphBytes, 0, head.length);
        System.arraycopy(nodesAndInitializers, 0, graphBytes, head.length, nodesAndInitializers.length);

        Proto model = new Proto();
        model.int64(MODEL_IR_VERSION, IR_VERSION);
        model.string(MODEL_PRODUCER_NAME, "layerprune");
        model.string(MODEL_PRODUCER_VERSION, version());
        model.bytes(MODEL_GRAPH, graphBytes);
        model.message(MODEL_OPSET_IMPORT, new Proto().string(OPSET_DOMAIN, "").int64(OPSET_VERSION, OPSET));
        return model.toByteArray();
    }

    private static String version() {
        try {
            return Layerprune.version();
        } catch (RuntimeException | LinkageError e) {
            return "unknown";
        }
    }

    private void emit(Op op) {
        Value out = graph.values().get(op.output());
        String y;
        switch (op.kind()) {
            case DENSE -> {
                List<String> in = new ArrayList<>(List.of(as2d(op.input()), tensor(op.weight())));
                if (op.bias() >= 0) {
                    in.add(tensor(op.bias()));
                }
                y = node("Gemm", in, attr("transB", 1));
                rank[op.output()] = 2;
            }
            case CONV -> {
                List<String> in = new ArrayList<>(List.of(as4d(op.input()), tensor(op.weight())));
                if (op.bias() >= 0) {
                    in.add(tensor(op.bias()));
                }
                y = node("Conv", in, ints("kernel_shape", op.kernel(), op.kernel()),
                        ints("strides", op.stride(), op.stride()), ints("pads", op.pad(), op.pad(), op.pad(), op.pad()));
                rank[op.output()] = 4;
            }
            case ADD -> {
                boolean four = rank[op.input()] == 4 || rank[op.input2()] == 4;
                String a = four ? as4d(op.input()) : name[op.input()];
                String b = four ? as4d(op.input2()) : name[op.input2()];
                y = node("Add", List.of(a, b), new Proto[0]);
                rank[op.output()] = four ? 4 : 2;
            }
            case MAXPOOL -> {  // padded positions never win, as in ONNX's MaxPool
                y = node("MaxPool", List.of(as4d(op.input())), ints("kernel_shape", op.kernel(), op.kernel()),
                        ints("strides", op.stride(), op.stride()), ints("pads", op.pad(), op.pad(), op.pad(), op.pad()),
                        attr("ceil_mode", op.ceil() ? 1 : 0));
                rank[op.output()] = 4;
            }
            case GLOBAL_AVGPOOL -> {
                y = node("GlobalAveragePool", List.of(as4d(op.input())), new Proto[0]);
                rank[op.output()] = 4;
            }
            case FLATTEN -> {
                Value in = graph.values().get(op.input());
                String x = name[op.input()];
                if (rank[op.input()] == 4 && (in.height() > 1 || in.width() > 1)) {
                    x = node("Transpose", List.of(x), ints("perm", 0, 2, 3, 1));  // back to NHWC order
                }
                y = rank[op.input()] == 4 ? node("Flatten", List.of(x), attr("axis", 1)) : x;
                rank[op.output()] = 2;
            }
            default -> throw new IllegalStateException("unknown op " + op.kind());
        }
        if (op.relu()) {
            y = node("Relu", List.of(y), new Proto[0]);
        }
        name[op.output()] = y;
        if (out.size() <= 0) {
            throw new IllegalStateException("value " + op.output() + " is empty");
        }
    }

    private String as2d(int value) {
        if (rank[value] == 2) {
            return name[value];
        }
        String key = name[value] + "->2d";
        if (!converted.containsKey(key)) {
            converted.put(key, node("Flatten", List.of(name[value]), attr("axis", 1)));  // (N, C, 1, 1) -> (N, C)
        }
        return converted.get(key);
    }

    private String as4d(int value) {
        if (rank[value] == 4) {
            return name[value];
        }
        Value v = graph.values().get(value);
        String key = name[value] + "->4d";
        if (!converted.containsKey(key)) {  // (N, C) -> (N, C, 1, 1)
            String shape = longs("shape." + name[value], -1, v.channels(), 1, 1);
            converted.put(key, node("Reshape", List.of(name[value], shape), new Proto[0]));
        }
        return converted.get(key);
    }

    private String node(String opType, List<String> inputs, Proto... attributes) {
        String out = opType.toLowerCase() + "_" + nodes;
        node(opType, inputs, List.of(out), attributes);
        return out;
    }

    private void node(String opType, List<String> inputs, List<String> outputs, Proto... attributes) {
        Proto n = new Proto();
        for (String i : inputs) {
            n.string(NODE_INPUT, i);
        }
        for (String o : outputs) {
            n.string(NODE_OUTPUT, o);
        }
        n.string(NODE_NAME, opType + "_" + nodes++);
        n.string(NODE_OP_TYPE, opType);
        for (Proto a : attributes) {
            n.message(NODE_ATTRIBUTE, a);
        }
        body.message(GRAPH_NODE, n);
    }

    private static Proto attr(String name, long value) {
        return new Proto().string(ATTR_NAME, name).int64(ATTR_I, value).int32(ATTR_TYPE, ATTR_TYPE_INT);
    }

    private static Proto ints(String name, long... values) {
        Proto a = new Proto().string(ATTR_NAME, name);
        for (long v : values) {
            a.int64(ATTR_INTS, v);  // unpacked repeated int64: what onnx.proto2 syntax expects, and parsers accept both
        }
        return a.int32(ATTR_TYPE, ATTR_TYPE_INTS);
    }

    /** A float initializer named after the graph tensor (written once, referenced by name). */
    private String tensor(int index) {
        String n = "w" + index;
        if (!initializers.add(n)) {
            return n;
        }
        Tensor t = graph.tensors().get(index);
        ByteBuffer raw = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(t.data());
        Proto p = new Proto();
        for (long d : t.shape()) {
            p.int64(TENSOR_DIMS, d);
        }
        p.int32(TENSOR_DATA_TYPE, FLOAT).string(TENSOR_NAME, n).bytes(TENSOR_RAW_DATA, raw.array());
        body.message(GRAPH_INITIALIZER, p);
        return n;
    }

    /** A double initializer of the given shape. */
    private String doubles(String n, double[] values, long... dims) {
        if (!initializers.add(n)) {
            return n;
        }
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asDoubleBuffer().put(values);
        Proto p = new Proto();
        for (long d : dims) {
            p.int64(TENSOR_DIMS, d);
        }
        p.int32(TENSOR_DATA_TYPE, DOUBLE).string(TENSOR_NAME, n).bytes(TENSOR_RAW_DATA, raw.array());
        body.message(GRAPH_INITIALIZER, p);
        return n;
    }

    /** An int64 initializer (Reshape's target shape). */
    private String longs(String n, long... values) {
        if (!initializers.add(n)) {
            return n;
        }
        ByteBuffer raw = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        Proto p = new Proto().int64(TENSOR_DIMS, values.length).int32(TENSOR_DATA_TYPE, INT64).string(TENSOR_NAME, n)
                .bytes(TENSOR_RAW_DATA, raw.array());
        body.message(GRAPH_INITIALIZER, p);
        return n;
    }

    private static Proto valueInfo(String name, long features) {
        Proto shape = new Proto()
                .message(SHAPE_DIM, new Proto().string(DIM_PARAM, "batch"))
                .message(SHAPE_DIM, new Proto().int64(DIM_VALUE, features));
        Proto tensor = new Proto().int32(TYPE_TENSOR_ELEM, FLOAT).message(TYPE_TENSOR_SHAPE, shape);
        return new Proto().string(VALUE_NAME, name).message(VALUE_TYPE, new Proto().message(TYPE_TENSOR, tensor));
    }
}
