package io.layerprune.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.ExportTestModels;
import io.layerprune.TestData;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.IdxReader;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.model.Predictor;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ONNX Runtime against {@link Model#predict} (not against our own export) on real images: the first 32
 * Fashion-MNIST test images, raw pixels 0..255, for every preset family (residual MLP, LeNet-5, VGG16,
 * the CIFAR ResNet, the bottleneck ResNet-50), at reduced widths to stay fast. Each model first trains
 * 8 steps on 256 real training images (weights, BN running statistics and the normalizer are then the
 * data's, not their initial values), then every third section is switched off (theta 0.2), so the export
 * drops and folds sections as it does after pruning. The ONNX graph takes the raw pixels (its leading
 * Sub/Div apply the training images' normalizer), as Model.predict does.
 *
 * <p>The tolerance, from float32 accumulation: a K-term dot product in float32 carries a rounding error
 * of about sqrt(K) u relative to its result for random-sign terms (u = 2^-24; worst case K u), and the two
 * sides sum in different orders (oneDNN's blocked kernels; ONNX Runtime's MLAS kernels on weights in
 * which the export has folded BN and composed consecutive projections, each fold one more rounding per
 * weight). Through D layers of gain about 1 those relative errors add: err <= C D sqrt(Kmax) u, with C = 4
 * for the cancellation in logits smaller than their terms; err is max |onnx - ours| over
 * max(1, max |ours|) ({@link ExportTestModels#relativeError}). D and Kmax per network are in
 * {@link #presets}. Also every image whose top two logits are further apart than twice the bound
 * gets the same class from both.
 */
class OnnxFashionMnistTest {
    static final int IMAGES = 32;
    static final double U = 0x1p-24;

    @TempDir
    Path dir;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    /** name, width multiplier, D (layers with weights on the longest path), Kmax (largest dot product). */
    static Stream<Arguments> presets() {
        return Stream.of(
                // stem 784 -> 64, 12 dense sections (2 layers each), head: D = 26, Kmax = 784 (the stem)
                Arguments.of("mlp", 0.25, 26, 784),
                // 2 convs (5x5x1, 5x5x6), 3 dense (400, 120, 84): D = 5, Kmax = 400
                Arguments.of("lenet5", 1.0, 5, 400),
                // 13 convs up to 3x3x128 at a quarter width, 3 dense: D = 16, Kmax = 1152
                Arguments.of("vgg16", 0.25, 16, 1152),
                // 3x3 stem, 9 basic blocks (2 convs each) up to 3x3x32 at half width, head: D = 20, Kmax = 288
                Arguments.of("resnet20", 0.5, 20, 288),
                // 3x3 stem, 16 bottleneck blocks (3 convs each) up to 3x3x128 / 1x1x512 at a quarter width,
                // head: D = 50, Kmax = 1152
                Arguments.of("resnet50", 0.25, 50, 1152));
    }

    @ParameterizedTest(name = "{0} x{1}")
    @MethodSource("presets")
    void onnxRuntimeGivesModelPredictOnTestImages(String name, double width, int depth, int kMax) throws Exception {
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed (Debian: dataset-fashion-mnist)");
        IdxReader.Images images = IdxReader.readImages(TestData.FASHION.resolve("t10k-images-idx3-ubyte.gz"));
        float[] raw = new float[IMAGES * 784];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = images.pixels()[i] & 0xff;
        }
        Architecture arch = Architecture.preset(name, 1, 28, 28, 10, width).withSeed(1);
        try (IdxDataset.Splits data = IdxDataset.load(TestData.FASHION, 256, IMAGES, 10);
                Model model = arch.build()) {
            try (Trainer trainer = Trainer.create(model, TrainConfig.defaultsFor(model).toBuilder().epochs(1)
                    .batchSize(32).lambda(0).etaTheta(0).seed(3).build())) {
                trainer.fit(data.train(), null);
            }
            assertTrue(model.normalizer().isPresent(), "the model took the training images' normalizer on");
            for (int l = 0; l < model.sections(); l += 3) {
                model.setTheta(l, 0.2);
            }
            float[] ours = model.predict(raw, IMAGES);
            Path onnx = dir.resolve(name + ".onnx");
            try (ExportedModel exported = ExportedModel.of(model)) {
                OnnxWriter.write(exported, onnx);
            }
            float[] theirs = OnnxExportTest.runOnnx(onnx, raw, IMAGES, 784);
            double err = ExportTestModels.relativeError(theirs, ours);
            double bound = 4 * depth * Math.sqrt(kMax) * U;
            int[] ourClasses = Predictor.argmax(ours, 10);
            int[] theirClasses = Predictor.argmax(theirs, 10);
            int decided = 0;
            int agree = 0;
            double scale = 1;
            for (float v : ours) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < IMAGES; i++) {
                if (margin(ours, i) > 2 * bound * scale) {
                    decided++;
                    agree += ourClasses[i] == theirClasses[i] ? 1 : 0;
                }
            }
            System.out.printf(Locale.ROOT, "OnnxFashionMnistTest: %s x%.2f (%d of %d sections off), %d test images:"
                    + " max error %.3g of bound %.3g (D %d, Kmax %d); classes agree on %d of %d clear images%n",
                    name, width, (model.sections() + 2) / 3, model.sections(), IMAGES, err, bound, depth, kMax, agree,
                    decided);
            assertTrue(err <= bound, name + ": ONNX Runtime differs from Model.predict on real images by " + err
                    + ", above the float32 bound " + bound);
            assertEquals(decided, agree, name + ": classes differ on images whose logits are clearly apart");
            assertTrue(decided >= IMAGES / 2, name + ": only " + decided + " images with a clear top class");
        }
    }

    /** Top logit minus the second of row i. */
    static double margin(float[] logits, int row) {
        double first = Double.NEGATIVE_INFINITY;
        double second = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < 10; c++) {
            double v = logits[row * 10 + c];
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        return first - second;
    }
}
