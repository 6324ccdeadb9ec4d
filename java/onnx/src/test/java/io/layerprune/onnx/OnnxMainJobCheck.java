package io.layerprune.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.layerprune.TestData;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.IdxReader;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.Predictor;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's ONNX figure on all 10,000 Fashion-MNIST test images, reproducible: trains the main job
 * (residual MLP 784 -> 256, 12 sections, 10 epochs, the family's defaults with lambda 0.01, seed 1, 2
 * threads, all 60k training images), exports it, writes the ONNX file, runs ONNX Runtime on the raw pixels
 * of the 10,000 test images and compares with the exported network and with Model.predict. Writes
 * docs/experiments/onnx/main-job-10k.txt. Opt-in, it trains for a while: {@code LAYERPRUNE_ONNX_MAIN_JOB=1
 * mvn -B verify -pl java/onnx -am -Dtest=OnnxMainJobCheck -Dsurefire.failIfNoSpecifiedTests=false}
 * (bin/onnx-main-job-check).
 */
class OnnxMainJobCheck {
    @TempDir
    Path dir;

    @Test
    void mainJobOnTheTenThousandTestImages() throws Exception {
        assumeTrue("1".equals(System.getenv("LAYERPRUNE_ONNX_MAIN_JOB")), "opt-in: LAYERPRUNE_ONNX_MAIN_JOB=1");
        assumeTrue(TestData.fashionAvailable(), "Fashion-MNIST is not installed (Debian: dataset-fashion-mnist)");
        Layerprune.setThreads(2);
        IdxReader.Images images = IdxReader.readImages(TestData.FASHION.resolve("t10k-images-idx3-ubyte.gz"));
        byte[] labels = IdxReader.readLabels(TestData.FASHION.resolve("t10k-labels-idx1-ubyte.gz"));
        int n = images.count();
        float[] raw = new float[n * 784];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = images.pixels()[i] & 0xff;
        }
        long t0 = System.nanoTime();
        try (IdxDataset.Splits data = IdxDataset.load(TestData.FASHION, 0, 0, 10, 0.0, 1);
                Model model = ResidualMlp.builder().inputSize(784).classes(10).width(256).sections(12).seed(1).build()) {
            TrainConfig config = TrainConfig.defaultsFor(model).toBuilder().epochs(10).lambda(0.01).build();
            TrainingResult result;
            try (Trainer trainer = Trainer.create(model, config)) {
                result = trainer.fit(data.train(), null, data.test());
            }
            double trainSeconds = (System.nanoTime() - t0) / 1e9;
            float[] fromModel = model.predict(raw, n);
            Path onnx = dir.resolve("main-job.onnx");
            float[] fromExport;
            try (ExportedModel exported = ExportedModel.of(model)) {
                fromExport = exported.predict(raw, n);
                OnnxWriter.write(exported, onnx);
            }
            float[] fromOnnx = OnnxExportTest.runOnnx(onnx, raw, n, 784);
            double scale = 0;
            double vsExport = 0;
            double vsModel = 0;
            for (int i = 0; i < fromOnnx.length; i++) {
                scale = Math.max(scale, Math.abs(fromExport[i]));
                vsExport = Math.max(vsExport, Math.abs(fromOnnx[i] - fromExport[i]));
                vsModel = Math.max(vsModel, Math.abs(fromOnnx[i] - fromModel[i]));
            }
            int[] onnxClasses = Predictor.argmax(fromOnnx, 10);
            int[] exportClasses = Predictor.argmax(fromExport, 10);
            int[] modelClasses = Predictor.argmax(fromModel, 10);
            int sameAsExport = 0;
            int sameAsModel = 0;
            int correct = 0;
            for (int i = 0; i < n; i++) {
                sameAsExport += onnxClasses[i] == exportClasses[i] ? 1 : 0;
                sameAsModel += onnxClasses[i] == modelClasses[i] ? 1 : 0;
                correct += onnxClasses[i] == labels[i] ? 1 : 0;
            }
            String report = String.format(Locale.ROOT,
                    "# Produced by java/onnx/src/test/java/io/layerprune/onnx/OnnxMainJobCheck.java (bin/onnx-main-job-check)%n"
                            + "run: %s, %d threads, Fashion-MNIST from %s%n"
                            + "model: residual MLP 784 -> 256, 12 sections, seed 1; 10 epochs, batch %d, lambda %.3g,"
                            + " all %d training images (no validation split)%n"
                            + "training: %d steps, %.1f s; %d of %d sections kept; test accuracy (deterministic) %.4f%n"
                            + "ONNX Runtime on the %d test images (raw pixels 0..255, the graph's Sub/Div normalise):%n"
                            + "  max |ONNX Runtime - exported network| = %.3g (largest |logit| %.3g); same class %d / %d%n"
                            + "  max |ONNX Runtime - Model.predict|    = %.3g; same class %d / %d%n"
                            + "  accuracy of ONNX Runtime's classes: %.4f%n",
                    Instant.now(), Layerprune.threads(), TestData.FASHION, config.batchSize(), config.lambda(),
                    data.train().size(), result.steps(), trainSeconds, result.sectionsKept(), result.sectionsTotal(),
                    result.testAccuracy(), n, vsExport, scale, sameAsExport, n, vsModel, sameAsModel, n,
                    correct / (double) n);
            System.out.print(report);
            Path root = Path.of("../..").toAbsolutePath().normalize();
            if (Files.exists(root.resolve("README.md"))) {
                Path out = root.resolve("docs/experiments/onnx/main-job-10k.txt");
                Files.createDirectories(out.getParent());
                Files.writeString(out, report);
            }
            assertTrue(vsExport <= 1e-4 * Math.max(1, scale), "ONNX Runtime vs export: " + vsExport);
            assertEquals(n, sameAsExport);
        }
    }
}
