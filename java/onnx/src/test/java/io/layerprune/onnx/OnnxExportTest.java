package io.layerprune.onnx;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.layerprune.model.Architecture;
import io.layerprune.ExportTestModels;
import io.layerprune.TabularData;
import io.layerprune.data.Normalizer;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.zoo.LeNet5;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our ONNX files run in ONNX Runtime and give our exported network's logits (to 1e-4). */
class OnnxExportTest {
    @TempDir
    Path dir;

    @Test
    void mlp() throws Exception {
        check(ResidualMlp.builder().inputSize(12).width(16).sections(5).classes(3).seed(4).spec(),
                0.9, 0.1, 0.8, 0.2, 0.7);
    }

    @Test
    void resNetWithFoldedProjections() throws Exception {
        // Depth 8: one block per stage; blocks 1 and 2 are strided projection sections. Both off:
        // their 1x1 stride-2 projections fold into one 1x1 stride-4 convolution.
        ExportedModel.Summary s = check(ResNet.builder().depth(8).input(2, 8, 8).classes(3).seed(5).spec(),
                0.8, 0.2, 0.3);
        assertTrue(s.foldedMaps() == 1, "folded maps: " + s.foldedMaps());
    }

    @Test
    void leNetWithOddPoolingAndSpatialFlatten() throws Exception {
        // 13x13: ceil-mode pooling of odd sizes, and a flatten of a 2x2x16 map (NHWC order in ONNX too).
        check(LeNet5.spec(1, 13, 13, 4, 6), 0.9, 0.8);
    }

    /** A model trained from raw features: the ONNX graph starts with Sub/Div and takes raw features too. */
    @Test
    void rawFeaturesGoThroughLeadingSubAndDiv() throws Exception {
        TabularData test = TabularData.blobs(200, 3, 99);
        float[] raw = test.flat();
        Path onnx = dir.resolve("raw.onnx");
        try (Model model = TabularData.trainedOnRaw(5); ExportedModel exported = ExportedModel.of(model)) {
            assertTrue(exported.normalizer().isPresent());
            float[] ours = exported.predict(raw, 200);
            OnnxWriter.write(exported, onnx);
            float[] theirs = runOnnx(onnx, raw, 200, TabularData.DIM);
            double err = ExportTestModels.relativeError(theirs, ours);
            assertTrue(err < 1e-4, "ONNX Runtime differs from our logits on raw features by " + err);
            double acc = TabularData.accuracy(io.layerprune.model.Predictor.argmax(theirs, 3), test.labels());
            assertTrue(acc > 0.9, "ONNX Runtime's accuracy on raw features " + acc);
        }
        String graph = new String(java.nio.file.Files.readAllBytes(onnx), java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(graph.contains("Sub") && graph.contains("Div") && graph.contains("normalizer.mean"));
    }

    /** Per-channel normalisation of NHWC images: pair c for every feature of channel c, before the transpose. */
    @Test
    void perChannelNormalizerOfImages() throws Exception {
        ModelSpec spec = LeNet5.spec(3, 13, 13, 4, 6);
        int rows = 5;
        float[] x = ExportTestModels.batch(rows, spec.inputSize(), 12);
        for (int i = 0; i < x.length; i++) {
            x[i] = 128 + 60 * x[i];  // raw pixel-like values
        }
        Path onnx = dir.resolve("lenet-norm.onnx");
        try (Model model = ExportTestModels.trained(spec, 0.9, 0.8)) {
            model.setNormalizer(Normalizer.of(new double[] {120, 130, 110}, new double[] {50, 60, 70}));
            try (ExportedModel exported = ExportedModel.of(model)) {
                float[] ours = exported.predict(x, rows);
                assertTrue(ExportTestModels.relativeError(ours, model.predict(x, rows)) < 1e-5);
                OnnxWriter.write(exported, onnx);
                double err = ExportTestModels.relativeError(runOnnx(onnx, x, rows, spec.inputSize()), ours);
                assertTrue(err < 1e-4, "ONNX Runtime differs from our logits by " + err);
            }
        }
    }

    @Test
    void bottleneckResNetWithTheImageNetStem() throws Exception {
        // 7x7 stride-2 stem, 3x3 stride-2 padded max pool (floor mode), bottleneck sections with
        // strided projections; sections 2 and 3 off: their projections compose.
        Architecture a = Architecture.builder().input(3, 23, 23)
                .stem(Architecture.Layer.conv(8).kernel(7).stride(2), Architecture.Pool.max(3).stride(2).pad(1))
                .stage(Architecture.Stage.bottleneck(2, 2))
                .stage(Architecture.Stage.bottleneck(4, 1).stride(2))
                .stage(Architecture.Stage.bottleneck(6, 2).stride(2))
                .head(3).seed(7).spec();
        ExportedModel.Summary s = check(a, 0.9, 0.8, 0.2, 0.3, 0.7);
        assertTrue(s.foldedMaps() == 1, "folded maps: " + s.foldedMaps());
        assertTrue(s.sectionsKept() == 3, "kept: " + s.sectionsKept());
    }

    @Test
    void resNet50PresetAtAQuarterWidth() throws Exception {
        check(Architecture.preset("resnet50", 3, 16, 16, 5, 0.25).withSeed(3),
                0.9, 0.2, 0.8, 0.9, 0.3, 0.8, 0.9, 0.9, 0.2, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.4);
    }

    @Test
    void residualMlpOfVaryingWidths() throws Exception {
        check(Architecture.preset("mlp:64-32-16", 12, 1, 1, 3).withSeed(2), 0.9, 0.2, 0.8);
    }

    private ExportedModel.Summary check(ModelSpec spec, double... thetas) throws Exception {
        int rows = 7;
        float[] x = ExportTestModels.batch(rows, spec.inputSize(), 9);
        Path onnx = dir.resolve(spec.type() + ".onnx");
        try (Model model = ExportTestModels.trained(spec, thetas); ExportedModel exported = ExportedModel.of(model)) {
            float[] ours = exported.predict(x, rows);
            OnnxWriter.write(exported, onnx);
            float[] theirs = runOnnx(onnx, x, rows, spec.inputSize());
            double err = ExportTestModels.relativeError(theirs, ours);
            assertTrue(err < 1e-4, spec.type() + ": ONNX Runtime differs from our logits by " + err);
            return exported.summary();
        }
    }

    static float[] runOnnx(Path file, float[] x, int rows, long inputSize) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession session = env.createSession(file.toString(), options);
                    OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {rows, inputSize});
                    OrtSession.Result result = session.run(Map.of("input", input))) {
                float[][] logits = (float[][]) result.get(0).getValue();
                float[] flat = new float[rows * logits[0].length];
                for (int i = 0; i < rows; i++) {
                    System.arraycopy(logits[i], 0, flat, i * logits[0].length, logits[0].length);
                }
                return flat;
            }
        }
    }
}
