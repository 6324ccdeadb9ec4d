package io.layerprune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.data.Dataset;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.EpochEvent;
import io.layerprune.train.PruningRule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The library end to end on the platform this JVM runs on (linux-x86_64 natively; linux-arm64 on the arm64 JVM
 * under qemu-aarch64, {@code mvn -Djavacpp.platform=linux-arm64}, bin/test's arm64 pass), and checkpoints across
 * platforms, both ways.
 *
 * <p>{@link #trainsPrunesAndWritesACheckpoint}: a small gated residual MLP (6 sections of width 64, 800 generated
 * samples of 16 raw features in 4 classes) trains for 8 epochs, must beat twice chance and prune at least one
 * section; after its 2nd epoch the trainer saves a checkpoint into
 * {@code <layerprune.platform.exchange>/<platform>/} with the checkpoint's own predictions (expected network, on
 * fixed probe inputs, as hexadecimal floats), the run's final result, and the final network exported
 * ({@link ExportedModel}, {@code model.lpx}) with its predictions.
 *
 * <p>{@link #loadsAndResumesTheOtherPlatformsCheckpoints}: every other platform's folder there is read back: its
 * checkpoint must load, predict what it predicted on its platform within {@link #tolerance} (and so must its
 * export), and resume to the end with a test accuracy within {@link #ACCURACY_BAND} of the writer's (kernels differ
 * across platforms, so training after the checkpoint can drift a little). bin/test runs this class natively (writes linux-x86_64), on arm64
 * (reads linux-x86_64, writes linux-arm64) and natively again (reads linux-arm64), with
 * {@code -Dlayerprune.platform.require=...} naming the platform that must be there; without it an empty exchange
 * folder skips the second test.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlatformEndToEndTest {
    static final String PLATFORM = Loader.getPlatform();
    static final int SECTIONS = 6;
    static final int WIDTH = 64;
    static final int DIM = 16;
    static final int CLASSES = 4;
    static final int PROBES = 8;
    /** Test accuracy of a run resumed on another platform against the writer's uninterrupted run (20 of 400). */
    static final double ACCURACY_BAND = 0.05;

    @BeforeAll
    static void threads() {
        Layerprune.setThreads(1);
    }

    static Path exchange() {
        return Path.of(System.getProperty("layerprune.platform.exchange", "target/platform-exchange"))
                .toAbsolutePath().normalize();
    }

    /** The plain pruning rule: with 640 training samples the evidence rule (the default) keeps all six sections. */
    static TrainConfig config() {
        return TrainConfig.builder().epochs(8).batchSize(32).lambda(0.1).etaTheta(0.5).patience(2)
                .pruningRule(PruningRule.PLAIN).seed(1).build();
    }

    /**
     * Largest difference a forward pass may show between two platforms on the same weights, for logits of
     * magnitude up to {@code scale}. Each of the network's L = 2 * sections + 2 matrix products sums up to K =
     * max(width, input size) products in float32; any two summation orders (vector widths, FMA or not, blocking)
     * differ by at most about 2 K u |x| |w| per output with u = 2^-24, and the errors of the L layers add up
     * (ReLU and the residual additions do not amplify them). With a factor 4 for cancellation (sums of |x_i w_i|
     * larger than the result): 4 * 2 * L * K * u * max(1, scale), i.e. 2.1e-4 * max(1, scale) here; the logits'
     * scale is a few units, so ~1e-3. Measured differences are far below (see the test's output).
     */
    static double tolerance(double scale) {
        int layers = 2 * SECTIONS + 2;
        int k = Math.max(WIDTH, DIM);
        return 4 * 2 * layers * k * Math.ulp(1.0f) / 2 * Math.max(1, scale);
    }

    @Test
    @Order(1)
    void trainsPrunesAndWritesACheckpoint() throws IOException {
        Path out = exchange().resolve(PLATFORM);
        Files.createDirectories(out);
        Path file = out.resolve("run.lpckpt");
        Files.deleteIfExists(file);
        TrainingResult r;
        List<Integer> kept;
        try (Data d = Data.create();
                Model model = model();
                Trainer trainer = Trainer.create(model, config())) {
            int[] epochs = {0};
            r = trainer.fit(d.train, d.validation, d.test, new TrainingListener() {
                @Override
                public void onEpoch(EpochEvent e) {
                    if (++epochs[0] == 2) {
                        trainer.save(file, "written on " + PLATFORM);
                    }
                }
            });
            kept = model.sectionStates().stream().filter(s -> !s.pruned()).map(s -> s.index()).toList();
            ExportedModel.export(model, out.resolve("model.lpx"));
        }
        System.out.printf("[platform] %s (os.arch %s): test accuracy %.4f, sections kept %d of %d %s%n", PLATFORM,
                System.getProperty("os.arch"), r.testAccuracy(), r.sectionsKept(), r.sectionsTotal(), kept);
        assertTrue(r.testAccuracy() > 2.0 / CLASSES, "accuracy " + r.testAccuracy() + " not above twice chance");
        assertTrue(r.sectionsKept() < r.sectionsTotal(), "no section pruned: " + r.sectionsKept());
        assertTrue(Files.size(file) > 0);
        float[] logits;
        try (Checkpoint c = Checkpoint.load(file)) {
            assertEquals(2, c.epochsDone());
            logits = c.model().predict(probes(), PROBES, EvalMode.EXPECTED);
        }
        Files.writeString(out.resolve("checkpoint-logits.txt"), hex(logits));
        try (ExportedModel exported = ExportedModel.load(out.resolve("model.lpx"))) {
            Files.writeString(out.resolve("export-logits.txt"), hex(exported.predict(probes(), PROBES)));
        }
        Properties p = new Properties();
        p.setProperty("platform", PLATFORM);
        p.setProperty("testAccuracy", Double.toString(r.testAccuracy()));
        p.setProperty("sectionsKept", Integer.toString(r.sectionsKept()));
        p.setProperty("sectionsTotal", Integer.toString(r.sectionsTotal()));
        p.setProperty("kept", kept.toString());
        try (Writer w = Files.newBufferedWriter(out.resolve("result.properties"))) {
            p.store(w, "PlatformEndToEndTest on " + PLATFORM);
        }
    }

    @Test
    @Order(2)
    void loadsAndResumesTheOtherPlatformsCheckpoints() throws IOException {
        List<String> required = Arrays.stream(System.getProperty("layerprune.platform.require", "").split(","))
                .map(String::trim).filter(s -> !s.isEmpty()).toList();
        List<Path> others = new ArrayList<>();
        if (Files.isDirectory(exchange())) {
            try (Stream<Path> dirs = Files.list(exchange())) {
                dirs.filter(d -> !d.getFileName().toString().equals(PLATFORM))
                        .filter(d -> Files.isRegularFile(d.resolve("result.properties"))).sorted()
                        .forEach(others::add);
            }
        }
        for (String platform : required) {
            assertTrue(others.stream().anyMatch(d -> d.getFileName().toString().equals(platform)),
                    "no checkpoint of " + platform + " in " + exchange() + " (layerprune.platform.require)");
        }
        Assumptions.assumeFalse(others.isEmpty(), "no other platform's checkpoint in " + exchange());
        for (Path dir : others) {
            String writer = dir.getFileName().toString();
            Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(dir.resolve("result.properties"))) {
                p.load(r);
            }
            float[] expected = parseHex(Files.readString(dir.resolve("checkpoint-logits.txt")));
            try (Data d = Data.create(); Checkpoint c = Checkpoint.load(dir.resolve("run.lpckpt"))) {
                assertEquals("written on " + writer, c.metadata());
                assertEquals(2, c.epochsDone());
                float[] logits = c.model().predict(probes(), PROBES, EvalMode.EXPECTED);
                assertEquals(expected.length, logits.length);
                double scale = 0;
                double maxDiff = 0;
                for (int i = 0; i < logits.length; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(logits[i] - expected[i]));
                }
                double tol = tolerance(scale);
                System.out.printf("[platform] %s (os.arch %s) reads %s's checkpoint: predictions differ by at most"
                        + " %.3e (tolerance %.3e, logits up to %.3g)%n", PLATFORM, System.getProperty("os.arch"), writer,
                        maxDiff, tol, scale);
                assertTrue(maxDiff <= tol, "predictions of " + writer + "'s checkpoint differ on " + PLATFORM
                        + " by " + maxDiff + " > " + tol);
                float[] exportExpected = parseHex(Files.readString(dir.resolve("export-logits.txt")));
                double exportDiff = 0;
                double exportScale = 0;
                try (ExportedModel exported = ExportedModel.load(dir.resolve("model.lpx"))) {
                    float[] got = exported.predict(probes(), PROBES);
                    assertEquals(exportExpected.length, got.length);
                    for (int i = 0; i < got.length; i++) {
                        exportScale = Math.max(exportScale, Math.abs(exportExpected[i]));
                        exportDiff = Math.max(exportDiff, Math.abs(got[i] - exportExpected[i]));
                    }
                }
                System.out.printf("[platform] %s reads %s's export: predictions differ by at most %.3e (tolerance"
                        + " %.3e)%n", PLATFORM, writer, exportDiff, tolerance(exportScale));
                assertTrue(exportDiff <= tolerance(exportScale), "predictions of " + writer + "'s export differ on "
                        + PLATFORM + " by " + exportDiff);
                TrainingResult r = c.resume(d.train, d.validation, d.test);
                double writerAccuracy = Double.parseDouble(p.getProperty("testAccuracy"));
                System.out.printf("[platform] %s resumed %s's checkpoint: test accuracy %.4f (%s's run: %.4f),"
                        + " sections kept %d of %d (%s's run: %s of %s)%n", PLATFORM, writer, r.testAccuracy(),
                        writer, writerAccuracy, r.sectionsKept(), r.sectionsTotal(), writer,
                        p.getProperty("sectionsKept"), p.getProperty("sectionsTotal"));
                assertTrue(Math.abs(r.testAccuracy() - writerAccuracy) <= ACCURACY_BAND,
                        "resumed accuracy " + r.testAccuracy() + " vs " + writerAccuracy + " on " + writer);
                assertTrue(r.sectionsKept() < r.sectionsTotal(), "the resumed run pruned nothing");
            }
        }
    }

    static Model model() {
        return ResidualMlp.builder().inputSize(DIM).classes(CLASSES).width(WIDTH).sections(SECTIONS).seed(1).build();
    }

    /** Fixed raw inputs (the model carries its normalizer). */
    static float[] probes() {
        float[] x = new float[PROBES * DIM];
        for (int i = 0; i < x.length; i++) {
            x[i] = 100 + 10 * (float) Math.sin(0.37 * i + 1);
        }
        return x;
    }

    static String hex(float[] v) {
        return Arrays.stream(toBoxed(v)).map(Float::toHexString).collect(Collectors.joining("\n")) + "\n";
    }

    static Float[] toBoxed(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = v[i];
        }
        return b;
    }

    static float[] parseHex(String s) {
        String[] lines = s.trim().split("\\s+");
        float[] v = new float[lines.length];
        for (int i = 0; i < lines.length; i++) {
            v[i] = Float.parseFloat(lines[i]);
        }
        return v;
    }

    /**
     * The data, the same on every platform: 800 raw samples (16 features, offset 100 and scale 10; the class is the
     * sign pattern of the first two), split 80/20 and standardised on the training part, and 400 test samples
     * normalised alike.
     */
    record Data(Dataset train, Dataset validation, Dataset test) implements AutoCloseable {
        static Data create() {
            Dataset train;
            Dataset validation;
            try (Dataset all = generated(800, 1); Dataset.Split raw = all.split(0.2, 1)) {
                Dataset.Split split = raw.standardized();  // its two data sets are closed by close()
                train = split.train();
                validation = split.validation();
            }
            Dataset test;
            try (Dataset raw = generated(400, 2)) {
                test = raw.normalized(train.normalizer().orElseThrow());
            }
            return new Data(train, validation, test);
        }

        @Override
        public void close() {
            train.close();
            validation.close();
            test.close();
        }
    }

    static Dataset generated(int n, long seed) {
        float[] x = new float[n * DIM];
        int[] y = new int[n];
        Random rng = new Random(seed);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < DIM; j++) {
                x[i * DIM + j] = (float) rng.nextGaussian();
            }
            y[i] = (x[i * DIM] > 0 ? 1 : 0) + (x[i * DIM + 1] > 0 ? 2 : 0);
            for (int j = 0; j < DIM; j++) {
                x[i * DIM + j] = 100 + 10 * x[i * DIM + j];
            }
        }
        return Dataset.of("generated", x, y, DIM, CLASSES);
    }
}
