package io.layerprune.hardening;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.layerprune.train.EstimatorCheck;
import io.layerprune.EvalMode;
import io.layerprune.LayerpruneException;
import io.layerprune.TestData;
import io.layerprune.cli.Main;
import io.layerprune.data.Dataset;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.IdxReader;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.Estimator;
import io.layerprune.train.Schedule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bad-input campaign (issue 8): well over 200 distinct bad inputs across the Java API and the
 * CLI, run in one test. Java API: each must throw {@link IllegalArgumentException},
 * {@link IllegalStateException}, {@link IndexOutOfBoundsException}, {@link NullPointerException}
 * (null arguments) or {@link LayerpruneException} whose message contains a keyword naming the
 * problem. CLI ({@link Main#run} in-process): exit code != 0 and exactly one line on stderr,
 * starting with {@code layerprune: error:} and containing the keyword. Anything else (no exception,
 * another type, a message without the keyword) is collected and reported at the end; the count
 * and the pass count are printed.
 *
 * <p>Not in here because they kill the JVM instead of throwing: models whose total size is huge
 * while each layer is within the native limits (e.g. {@code sections(100_000_000)}), see the
 * README's Hardening section.
 */
class BadInputCampaignTest {
    @TempDir
    static Path dir;

    static Path good;
    private final List<String> names = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    private int passed;

    @FunctionalInterface
    interface Action {
        void run() throws Exception;
    }

    @BeforeAll
    static void setUp() {
        Layerprune.setThreads(1);
        good = dir.resolve("good");
        folder(good, 64, 16, 28, 28, false);
    }

    static Path folder(Path d, int train, int test, int rows, int cols, boolean gz) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        TestData.writeFolder(d, train, test, rows, cols, 10, gz);
        return d;
    }

    // ---------------------------------------------------------------------------------------------
    // Case runners

    void api(String name, String keyword, Action action) {
        register(name);
        try {
            action.run();
            failures.add(name + ": no exception (passed silently)");
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException | NullPointerException
                | LayerpruneException e) {
            String m = e.getMessage();
            if (m == null || m.isBlank()) {
                failures.add(name + ": " + e.getClass().getSimpleName() + " without a message");
            } else if (!m.toLowerCase(Locale.ROOT).contains(keyword.toLowerCase(Locale.ROOT))) {
                failures.add(name + ": message lacks '" + keyword + "': " + e.getClass().getSimpleName() + ": " + m);
            } else {
                passed++;
            }
        } catch (Throwable t) {
            failures.add(name + ": unexpected " + t.getClass().getName() + ": " + t.getMessage());
        }
    }

    /** A CLI case; {@code train} and {@code estimator-check} runs get {@code --threads 1} unless given. */
    void cli(String keyword, String... args) {
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (a.size() > 0 && (a.get(0).equals("train") || a.get(0).equals("estimator-check")) && !a.contains("--threads")
                && a.stream().noneMatch(s -> s.startsWith("--threads="))) {
            a.add("--threads");
            a.add("1");
        }
        if (a.size() > 0 && a.get(0).equals("train")) {
            a.add("--quiet");
        }
        String name = "cli " + String.join(" ", args);
        register(name);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.run(a.toArray(new String[0]), o, e);
        } catch (Throwable t) {
            failures.add(name + ": Main.run threw " + t.getClass().getName() + ": " + t.getMessage());
            return;
        }
        List<String> lines = err.toString(StandardCharsets.UTF_8).strip().lines().toList();
        if (code == 0) {
            failures.add(name + ": exit code 0 (passed silently); stderr: " + lines);
        } else if (lines.size() != 1) {
            failures.add(name + ": " + lines.size() + " stderr lines instead of one: " + lines);
        } else if (!lines.get(0).startsWith("layerprune: error: ")) {
            failures.add(name + ": stderr does not start with 'layerprune: error: ': " + lines.get(0));
        } else if (!lines.get(0).toLowerCase(Locale.ROOT).contains(keyword.toLowerCase(Locale.ROOT))) {
            failures.add(name + ": message lacks '" + keyword + "': " + lines.get(0));
        } else {
            passed++;
        }
    }

    private void register(String name) {
        names.add(name);
    }

    // ---------------------------------------------------------------------------------------------
    // Fixtures

    static Model model(int input, int width, int sections, int classes) {
        return ResidualMlp.builder().inputSize(input).width(width).sections(sections).classes(classes).seed(1).build();
    }

    static Dataset data(int n, int dim, int classes) {
        float[] f = new float[n * dim];
        int[] labels = new int[n];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) Math.sin(i * 0.37);
        }
        for (int i = 0; i < n; i++) {
            labels[i] = i % classes;
        }
        return Dataset.of("d" + n + "x" + dim, f, labels, dim, classes);
    }

    static TrainConfig small() {
        return TrainConfig.builder().epochs(1).batchSize(8).build();
    }

    static void fit(TrainConfig cfg) {
        try (Model m = model(8, 8, 2, 3); Dataset d = data(32, 8, 3); Trainer t = Trainer.create(m, cfg)) {
            t.fit(d, null);
        }
    }

    // ---------------------------------------------------------------------------------------------

    @Test
    @Timeout(600)
    void everyBadInputIsRejectedWithAMessageNamingIt() throws Exception {
        trainConfig();
        namesAndEnums();
        modelSpecs();
        datasets();
        openModel();
        closedHandles();
        trainers();
        idxFiles();
        cliTrain();
        cliOthers();

        Set<String> distinct = new HashSet<>(names);
        int count = names.size();
        System.out.println("BadInputCampaignTest: " + count + " bad inputs, " + passed + " rejected as expected, "
                + failures.size() + " not");
        failures.forEach(f -> System.out.println("  FAILED " + f));
        assertEquals(count, distinct.size(), "case names must be distinct");
        assertTrue(count >= 200, "at least 200 bad inputs expected, got " + count);
        assertEquals(List.of(), failures, count + " cases, " + passed + " passed");
        assertEquals(count, passed);
    }

    private void trainConfig() {
        Map<String, BiConsumer<TrainConfig.Builder, Double>> doubles = new LinkedHashMap<>();
        doubles.put("lambda", TrainConfig.Builder::lambda);
        doubles.put("tau", TrainConfig.Builder::tau);
        doubles.put("s2", TrainConfig.Builder::s2);
        doubles.put("theta0", TrainConfig.Builder::theta0);
        doubles.put("etaTheta", TrainConfig.Builder::etaTheta);
        doubles.put("thetaMin", TrainConfig.Builder::thetaMin);
        doubles.put("etaW", TrainConfig.Builder::etaW);
        doubles.put("momentum", TrainConfig.Builder::momentum);
        doubles.put("clipNorm", TrainConfig.Builder::clipNorm);
        doubles.put("weightDecay", TrainConfig.Builder::weightDecay);
        doubles.put("stepGamma", TrainConfig.Builder::stepGamma);
        doubles.put("estimatorFraction", TrainConfig.Builder::estimatorFraction);
        doubles.put("thetaStepGamma", TrainConfig.Builder::thetaStepGamma);
        double[] bad = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -1.0};
        for (var e : doubles.entrySet()) {
            for (double v : bad) {
                api("TrainConfig." + e.getKey() + "(" + v + ")", e.getKey(), () -> {
                    TrainConfig.Builder b = TrainConfig.builder();
                    e.getValue().accept(b, v);
                    b.build();
                });
            }
        }
        for (String f : List.of("s2", "stepGamma", "estimatorFraction", "thetaStepGamma")) {
            api("TrainConfig." + f + "(0)", f, () -> {
                TrainConfig.Builder b = TrainConfig.builder();
                doubles.get(f).accept(b, 0.0);
                b.build();
            });
        }
        api("TrainConfig.theta0(1.5)", "theta0", () -> TrainConfig.builder().theta0(1.5).build());
        api("TrainConfig.thetaMin(1.5)", "thetaMin", () -> TrainConfig.builder().thetaMin(1.5).build());
        api("TrainConfig.momentum(1)", "momentum", () -> TrainConfig.builder().momentum(1).build());
        api("TrainConfig.momentum(2)", "momentum", () -> TrainConfig.builder().momentum(2).build());
        api("TrainConfig.estimatorFraction(1.5)", "estimatorFraction",
                () -> TrainConfig.builder().estimatorFraction(1.5).build());
        api("TrainConfig.patience(-1)", "patience", () -> TrainConfig.builder().patience(-1).build());
        api("TrainConfig.totalSteps(-1)", "totalSteps", () -> TrainConfig.builder().totalSteps(-1).build());
        api("TrainConfig.stepEvery(-1)", "stepEvery", () -> TrainConfig.builder().stepEvery(-1).build());
        api("TrainConfig.thetaStepEvery(-1)", "thetaStepEvery", () -> TrainConfig.builder().thetaStepEvery(-1).build());
        api("TrainConfig.trainSize(-1)", "trainSize", () -> TrainConfig.builder().trainSize(-1).build());
        api("TrainConfig.trainSize(MIN)", "trainSize", () -> TrainConfig.builder().trainSize(Long.MIN_VALUE).build());
        api("TrainConfig.batchSize(0)", "batchSize", () -> TrainConfig.builder().batchSize(0).build());
        api("TrainConfig.batchSize(-1)", "batchSize", () -> TrainConfig.builder().batchSize(-1).build());
        api("TrainConfig.batchSize(MIN)", "batchSize", () -> TrainConfig.builder().batchSize(Integer.MIN_VALUE).build());
        api("TrainConfig.epochs(-1)", "epochs", () -> TrainConfig.builder().epochs(-1).build());
        api("TrainConfig step schedule, stepEvery 0", "stepEvery",
                () -> TrainConfig.builder().schedule(Schedule.STEP).stepEvery(0).build());
        api("TrainConfig theta step schedule, thetaStepEvery 0", "thetaStepEvery",
                () -> TrainConfig.builder().thetaSchedule(Schedule.STEP).thetaStepEvery(0).build());
        api("TrainConfig.thetaSchedule(COSINE)", "thetaSchedule",
                () -> TrainConfig.builder().thetaSchedule(Schedule.COSINE).build());
        api("TrainConfig.schedule(null)", "schedule", () -> TrainConfig.builder().schedule(null).build());
        api("TrainConfig.thetaSchedule(null)", "thetaSchedule", () -> TrainConfig.builder().thetaSchedule(null).build());
        api("TrainConfig.estimator(null)", "estimator", () -> TrainConfig.builder().estimator(null).build());
        api("TrainConfig.etaW(0)", "etaW", () -> TrainConfig.builder().etaW(0).build());
        api("TrainConfig.patience(0)", "patience", () -> TrainConfig.builder().patience(0).build());
        // Accepted by the builder, rejected by the native core when training starts.
        api("fit with tau 1e308 (lambda overflows)", "lambda", () -> fit(small().toBuilder().tau(1e308).build()));
    }

    private void namesAndEnums() {
        api("Estimator.fromName(foo)", "unknown estimator", () -> Estimator.fromName("foo"));
        api("Estimator.fromName(empty)", "unknown estimator", () -> Estimator.fromName(""));
        api("Estimator.fromName(two_points)", "unknown estimator", () -> Estimator.fromName("two_points"));
        api("Estimator.fromName(null)", "unknown estimator", () -> Estimator.fromName(null));
        api("Schedule.fromName(linear)", "unknown schedule", () -> Schedule.fromName("linear"));
        api("Schedule.fromName(empty)", "unknown schedule", () -> Schedule.fromName(""));
        api("Schedule.fromName(null)", "unknown schedule", () -> Schedule.fromName(null));
        api("Layerprune.setThreads(-1)", "threads", () -> Layerprune.setThreads(-1));
        api("Layerprune.setThreads(MIN)", "threads", () -> Layerprune.setThreads(Integer.MIN_VALUE));
    }

    private void modelSpecs() {
        api("inputSize(0)", "inputSize", () -> ResidualMlp.builder().inputSize(0).classes(2).build());
        api("inputSize(-1)", "inputSize", () -> ResidualMlp.builder().inputSize(-1).classes(2).build());
        api("inputSize(MIN)", "inputSize", () -> ResidualMlp.builder().inputSize(Long.MIN_VALUE).classes(2).build());
        api("width(0)", "width", () -> ResidualMlp.builder().inputSize(4).classes(2).width(0).build());
        api("width(-1)", "width", () -> ResidualMlp.builder().inputSize(4).classes(2).width(-1).build());
        api("sections(-1)", "sections", () -> ResidualMlp.builder().inputSize(4).classes(2).sections(-1).build());
        api("sections(MIN)", "sections", () -> ResidualMlp.builder().inputSize(4).classes(2).sections(Integer.MIN_VALUE).build());
        api("classes(1)", "classes", () -> ResidualMlp.builder().inputSize(4).classes(1).build());
        api("classes(0)", "classes", () -> ResidualMlp.builder().inputSize(4).classes(0).build());
        api("classes(-1)", "classes", () -> ResidualMlp.builder().inputSize(4).classes(-1).build());
        api("inputSize(MAX)", "unreasonably large",
                () -> ResidualMlp.builder().inputSize(Long.MAX_VALUE).classes(10).width(4).sections(1).build());
        api("width(2^40)", "unreasonably large", () -> ResidualMlp.builder().inputSize(4).classes(10).width(1L << 40).build());
        api("classes(MAX)", "unreasonably large",
                () -> ResidualMlp.builder().inputSize(4).width(4).classes(Integer.MAX_VALUE).build());
    }

    private void datasets() {
        api("Dataset.of null features", "features", () -> Dataset.of("x", (float[]) null, new int[1], 1, 2));
        api("Dataset.of null labels", "labels", () -> Dataset.of("x", new float[1], null, 1, 2));
        api("Dataset.of too few features", "features", () -> Dataset.of("x", new float[3], new int[2], 2, 2));
        api("Dataset.of too many features", "features", () -> Dataset.of("x", new float[5], new int[2], 2, 2));
        api("Dataset.of dim 0", "dim", () -> Dataset.of("x", new float[0], new int[2], 0, 2));
        api("Dataset.of dim -1", "dim", () -> Dataset.of("x", new float[0], new int[2], -1, 2));
        api("Dataset.of classes 1", "classes", () -> Dataset.of("x", new float[2], new int[2], 1, 1));
        api("Dataset.of classes -1", "classes", () -> Dataset.of("x", new float[2], new int[2], 1, -1));
        api("Dataset.of label -1", "label -1", () -> Dataset.of("x", new float[2], new int[] {0, -1}, 1, 2));
        api("Dataset.of label == classes", "label 2", () -> Dataset.of("x", new float[2], new int[] {2, 0}, 1, 2));
        api("Dataset.of label MAX", "outside", () -> Dataset.of("x", new float[1], new int[] {Integer.MAX_VALUE}, 1, 2));
        api("Dataset.of no samples", "0 samples", () -> Dataset.of("x", new float[0], new int[0], 3, 2));
        for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            api("Dataset.of feature " + v, "not finite", () -> {
                float[] f = new float[6];
                f[4] = v;
                Dataset.of("x", f, new int[] {0, 1, 0}, 2, 2).close();
            });
        }
        api("Dataset.of features scaled past float range", "not finite", () -> {
            float[] f = new float[4];
            f[1] = (float) 1e39; // Infinity once a float
            Dataset.of("x", f, new int[] {0, 1}, 2, 2).close();
        });
    }

    private void openModel() {
        try (Model m = model(8, 8, 2, 3); Dataset d = data(16, 8, 3); Dataset wrongDim = data(16, 6, 3);
                Dataset moreClasses = data(16, 8, 5); Model deep = model(8, 4, 17, 3)) {
            api("section(-1)", "section index", () -> m.section(-1));
            api("section(n)", "section index", () -> m.section(2));
            api("section(MAX)", "section index", () -> m.section(Integer.MAX_VALUE));
            for (double v : new double[] {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.1, 1.5}) {
                api("setTheta(0, " + v + ")", "theta", () -> m.setTheta(0, v));
            }
            api("setTheta(-1, 0.5)", "section index", () -> m.setTheta(-1, 0.5));
            api("setTheta(n, 0.5)", "section index", () -> m.setTheta(2, 0.5));
            api("predict features too short", "features", () -> m.predict(new float[7], 1, EvalMode.EXPECTED));
            api("predict features too long", "features", () -> m.predict(new float[9], 1, EvalMode.EXPECTED));
            api("predict count -1", "count", () -> m.predict(new float[0], -1, EvalMode.EXPECTED));
            api("predict count MIN", "count", () -> m.predict(new float[0], Integer.MIN_VALUE, EvalMode.EXPECTED));
            api("predict null features", "features", () -> m.predict((float[]) null, 1, EvalMode.EXPECTED));
            api("predict null mode", "mode", () -> m.predict(new float[8], 1, null));
            for (float v : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                api("predict feature " + v, "finite", () -> {
                    float[] f = new float[16];
                    f[11] = v;
                    m.predict(f, 2, EvalMode.DETERMINISTIC);
                });
            }
            api("evaluate null data", "data", () -> m.evaluate(null, EvalMode.EXPECTED));
            api("evaluate null mode", "mode", () -> m.evaluate(d, null));
            api("evaluate wrong dim", "features per sample", () -> m.evaluate(wrongDim, EvalMode.EXPECTED));
            api("evaluate too many classes", "classes", () -> m.evaluate(moreClasses, EvalMode.EXPECTED));
            api("flopsPerSample(null)", "mode", () -> m.flopsPerSample(null));
            api("checkEstimator null data", "data",
                    () -> EstimatorCheck.run(m, null, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            api("checkEstimator null estimator", "estimator",
                    () -> EstimatorCheck.run(m, d, 4, null, 1, 10, 1, 0.01, 1e-3, 16));
            api("checkEstimator rows 0", "rows", () -> EstimatorCheck.run(m, d, 0, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            api("checkEstimator rows > size", "rows",
                    () -> EstimatorCheck.run(m, d, 17, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            double[][] fr = {{0}, {Double.NaN}, {1.5}, {-1}};
            for (double[] f : fr) {
                api("checkEstimator fraction " + f[0], "fraction",
                        () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, f[0], 10, 1, 0.01, 1e-3, 16));
            }
            api("checkEstimator samples 1", "samples",
                    () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, 1, 1, 1, 0.01, 1e-3, 16));
            for (double v : new double[] {Double.NaN, -1, Double.POSITIVE_INFINITY}) {
                api("checkEstimator lambda " + v, "lambda",
                        () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, 1, 10, 1, v, 1e-3, 16));
            }
            for (double v : new double[] {0, Double.NaN, Double.POSITIVE_INFINITY}) {
                api("checkEstimator s2 " + v, "s2", () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, v, 16));
            }
            for (double v : new double[] {0, Double.NaN, -5}) {
                api("checkEstimator nTrain " + v, "nTrain",
                        () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, v));
            }
            api("checkEstimator wrong dim", "features per sample",
                    () -> EstimatorCheck.run(m, wrongDim, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            api("checkEstimator 17 sections", "16",
                    () -> EstimatorCheck.run(deep, d, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            // A pruned section's theta cannot be set.
            m.setTheta(1, 0.0);
            m.determinize();
            api("setTheta on a pruned section", "pruned", () -> m.setTheta(1, 0.5));
        }
    }

    private void closedHandles() {
        Model m = model(8, 8, 2, 3);
        Dataset d = data(16, 8, 3);
        m.close();
        String c = "closed";
        api("closed model inputSize", c, m::inputSize);
        api("closed model classes", c, m::classes);
        api("closed model sections", c, m::sections);
        api("closed model section", c, () -> m.section(0));
        api("closed model sectionStates", c, m::sectionStates);
        api("closed model thetas", c, m::thetas);
        api("closed model liveSections", c, m::liveSections);
        api("closed model setTheta", c, () -> m.setTheta(0, 0.5));
        api("closed model params", c, m::params);
        api("closed model flopsPerSample", c, () -> m.flopsPerSample(EvalMode.EXPECTED));
        api("closed model evaluate", c, () -> m.evaluate(d, EvalMode.EXPECTED));
        api("closed model predict", c, () -> m.predict(new float[8], 1, EvalMode.EXPECTED));
        api("closed model determinize", c, m::determinize);
        api("closed model checkEstimator", c,
                () -> EstimatorCheck.run(m, d, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
        api("closed model nativeBytes", c, m::nativeBytes);
        api("Trainer.create on a closed model", c, () -> Trainer.create(m, small()));
        // spec(), initialParams(), initialFlopsPerSample(), isClosed(), toString() and close() answer from
        // Java fields and stay usable after close(), by design.

        Model m2 = model(8, 8, 2, 3);
        Trainer fitted = Trainer.create(m2, small());
        fitted.fit(d, null);
        fitted.close();
        api("closed trainer stepsDone", c, fitted::stepsDone);
        api("closed trainer tau", c, () -> fitted.tau(0));
        api("closed trainer cumulativeFlops", c, fitted::cumulativeFlops);
        api("closed trainer cumulativeFlopsUnpruned", c, fitted::cumulativeFlopsUnpruned);
        api("closed trainer fit", c, () -> fitted.fit(d, null));
        Trainer orphan = Trainer.create(m2, small());
        m2.close();
        api("trainer of a closed model fit", c, () -> orphan.fit(d, null));
        api("trainer of a closed model stepsDone", c, orphan::stepsDone);

        Dataset closed = data(16, 8, 3);
        closed.close();
        api("closed dataset size", c, closed::size);
        api("closed dataset dim", c, closed::dim);
        api("closed dataset classes", c, closed::classes);
        try (Model m3 = model(8, 8, 2, 3)) {
            api("evaluate on a closed dataset", c, () -> m3.evaluate(closed, EvalMode.EXPECTED));
            api("checkEstimator on a closed dataset", c,
                    () -> EstimatorCheck.run(m3, closed, 4, Estimator.TWO_POINT, 1, 10, 1, 0.01, 1e-3, 16));
            try (Trainer t = Trainer.create(m3, small())) {
                api("fit on a closed training set", c, () -> t.fit(closed, null));
            }
            try (Trainer t = Trainer.create(m3, small())) {
                api("fit with a closed test set", c, () -> t.fit(d, closed));
            }
        }
        d.close();
    }

    private void trainers() {
        try (Model m = model(8, 8, 2, 3); Dataset d = data(32, 8, 3); Dataset wrongDim = data(32, 6, 3);
                Dataset moreClasses = data(32, 8, 5); Dataset tiny = data(4, 8, 3)) {
            api("Trainer.create null model", "model", () -> Trainer.create(null, small()));
            api("Trainer.create null config", "config", () -> Trainer.create(m, null));
            try (Trainer t = Trainer.create(m, small())) {
                api("tau before fit", "fit", () -> t.tau(0));
                api("fit null train", "train", () -> t.fit(null, null));
                api("fit train with wrong dim", "features per sample", () -> t.fit(wrongDim, null));
                api("fit test with wrong dim", "features per sample", () -> t.fit(d, wrongDim));
                api("fit train with too many classes", "classes", () -> t.fit(moreClasses, null));
                api("fit train smaller than a batch", "fewer than one batch", () -> t.fit(tiny, null));
                t.fit(d, null);
                api("fit twice", "already", () -> t.fit(d, null));
                api("tau(-1) after fit", "section index", () -> t.tau(-1));
                api("tau(n) after fit", "section index", () -> t.tau(2));
                try (Trainer second = Trainer.create(m, small())) {
                    api("second trainer on a model", "already has one", () -> second.fit(d, null));
                }
            }
        }
    }

    private void idxFiles() throws IOException {
        api("IdxDataset.load missing folder", "no such directory", () -> IdxDataset.load(dir.resolve("nope")));
        Path file = dir.resolve("a-file");
        Files.writeString(file, "x");
        api("IdxDataset.load a file as folder", "no such directory", () -> IdxDataset.load(file));
        api("IdxDataset.load below a file", "no such directory", () -> IdxDataset.load(file.resolve("sub")));
        api("IdxDataset.load trainLimit -1", "trainLimit", () -> IdxDataset.load(good, -1, 0, 10));
        api("IdxDataset.load testLimit -1", "testLimit", () -> IdxDataset.load(good, 0, -1, 10));
        api("IdxDataset.load classes 1", "classes", () -> IdxDataset.load(good, 0, 0, 1));
        api("IdxDataset.load trainLimit > count", "trainLimit", () -> IdxDataset.load(good, 65, 0, 10));
        api("IdxDataset.load testLimit > count", "testLimit", () -> IdxDataset.load(good, 0, 17, 10));
        api("IdxDataset.load labels >= classes", "outside", () -> IdxDataset.load(good, 0, 0, 5));
        String[] names = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
            "t10k-labels-idx1-ubyte"};
        for (int i = 0; i < 4; i++) {
            Path f = folder(dir.resolve("missing" + i), 16, 8, 28, 28, false);
            Files.delete(f.resolve(names[i]));
            api("IdxDataset.load without " + names[i], "missing file", () -> IdxDataset.load(f));
        }
        for (int i = 0; i < 4; i++) {
            Path f = folder(dir.resolve("truncated" + i), 16, 8, 28, 28, false);
            byte[] b = Files.readAllBytes(f.resolve(names[i]));
            Files.write(f.resolve(names[i]), Arrays.copyOf(b, b.length - 3));
            api("IdxDataset.load truncated " + names[i], "truncated", () -> IdxDataset.load(f));
        }
        for (int i = 0; i < 4; i++) {
            Path f = folder(dir.resolve("gzcorrupt" + i), 16, 8, 28, 28, true);
            Path p = f.resolve(names[i] + ".gz");
            byte[] b = Files.readAllBytes(p);
            for (int k = 12; k < b.length - 8; k += 7) {
                b[k] ^= 0x5a;
            }
            Files.write(p, b);
            api("IdxDataset.load corrupt gzip " + names[i], names[i], () -> IdxDataset.load(f));
        }
        for (int i = 0; i < 4; i++) {
            Path f = folder(dir.resolve("magic" + i), 16, 8, 28, 28, false);
            byte[] b = Files.readAllBytes(f.resolve(names[i]));
            b[3] ^= 0x02;
            Files.write(f.resolve(names[i]), b);
            api("IdxDataset.load bad magic " + names[i], "magic", () -> IdxDataset.load(f));
        }
        for (int i = 0; i < 4; i++) {
            Path f = folder(dir.resolve("extra" + i), 16, 8, 28, 28, false);
            byte[] b = Files.readAllBytes(f.resolve(names[i]));
            Files.write(f.resolve(names[i]), Arrays.copyOf(b, b.length + 1));
            api("IdxDataset.load trailing byte " + names[i], "unexpected data", () -> IdxDataset.load(f));
        }
        Path mism = folder(dir.resolve("countmismatch"), 16, 8, 28, 28, false);
        TestData.write(mism.resolve("train-labels-idx1-ubyte"), TestData.labelsIdx(new byte[15]));
        api("IdxDataset.load image/label count mismatch", "labels", () -> IdxDataset.load(mism));
        Path dims = folder(dir.resolve("dims"), 16, 8, 28, 28, false);
        TestData.writeSplit(dims, "t10k", 8, 27, 28, 10, false, 3);
        api("IdxDataset.load train/test image size mismatch", "test images", () -> IdxDataset.load(dims));
        Path empty = folder(dir.resolve("empty"), 0, 8, 28, 28, false);
        api("IdxDataset.load empty training set", "empty", () -> IdxDataset.load(empty));
        Path labelRange = folder(dir.resolve("labelrange"), 16, 8, 28, 28, false);
        byte[] lab = new byte[16];
        lab[5] = (byte) 200;
        TestData.write(labelRange.resolve("train-labels-idx1-ubyte"), TestData.labelsIdx(lab));
        api("IdxDataset.load label 200", "label 200", () -> IdxDataset.load(labelRange));
        Path dirs = folder(dir.resolve("dirs"), 16, 8, 28, 28, false);
        Files.delete(dirs.resolve(names[0]));
        Files.createDirectory(dirs.resolve(names[0]));
        api("IdxDataset.load images file is a directory", "missing file", () -> IdxDataset.load(dirs));
        Path noread = folder(dir.resolve("noread"), 16, 8, 28, 28, false);
        Path unreadable = noread.resolve(names[1]);
        if (unreadable.toFile().setReadable(false, false) && !Files.isReadable(unreadable)) {
            api("IdxDataset.load unreadable labels", "could not read", () -> IdxDataset.load(noread));
        } else {
            // Root reads everything: a dangling symbolic link is the unreadable file instead.
            Files.delete(unreadable);
            Files.createSymbolicLink(unreadable, noread.resolve("gone"));
            api("IdxDataset.load unreadable labels", "missing file", () -> IdxDataset.load(noread));
        }
        api("IdxReader.readImages of a labels file", "magic",
                () -> IdxReader.readImages(good.resolve("train-labels-idx1-ubyte")));
        api("IdxReader.readLabels of an images file", "magic",
                () -> IdxReader.readLabels(good.resolve("train-images-idx3-ubyte")));
        api("IdxReader.readImages missing file", "no such file", () -> IdxReader.readImages(dir.resolve("none")));
        api("IdxReader.readImages of a directory", "could not read", () -> IdxReader.readImages(good));
    }

    private void cliTrain() throws IOException {
        String g = good.toString();
        Map<String, String> doubles = new LinkedHashMap<>();
        for (String f : List.of("--lr", "--lambda", "--tau", "--estimator-fraction", "--eta-theta", "--theta0",
                "--momentum", "--clip-norm", "--weight-decay", "--s2", "--step-gamma", "--theta-step-gamma")) {
            for (String v : List.of("NaN", "Infinity", "-Infinity", "-1")) {
                cli(f, "train", "--data", g, f + "=" + v);
            }
        }
        // Zero where zero is invalid, values out of range.
        cli("--lr", "train", "--data", g, "--lr", "0");
        cli("--s2", "train", "--data", g, "--s2", "0");
        cli("--step-gamma", "train", "--data", g, "--step-gamma", "0");
        cli("--theta-step-gamma", "train", "--data", g, "--theta-step-gamma", "0");
        cli("--estimator-fraction", "train", "--data", g, "--estimator-fraction", "0");
        cli("--batch", "train", "--data", g, "--batch", "0");
        cli("--width", "train", "--data", g, "--width", "0");
        cli("--patience", "train", "--data", g, "--patience", "0");
        cli("--theta0", "train", "--data", g, "--theta0", "1.5");
        cli("--momentum", "train", "--data", g, "--momentum", "1");
        cli("--estimator-fraction", "train", "--data", g, "--estimator-fraction", "1.5");
        for (String f : List.of("--train-limit", "--test-limit", "--sections", "--width", "--epochs", "--batch",
                "--patience", "--threads", "--step-every", "--theta-step-every")) {
            cli(f, "train", "--data", g, f + "=-1");
        }
        // Not numbers.
        cli("--lr", "train", "--data", g, "--lr", "abc");
        cli("--batch", "train", "--data", g, "--batch", "1.5");
        cli("--epochs", "train", "--data", g, "--epochs", "x");
        cli("--sections", "train", "--data", g, "--sections=");
        cli("--width", "train", "--data", g, "--width", "1e3");
        cli("--seed", "train", "--data", g, "--seed", "abc");
        cli("--threads", "train", "--data", g, "--threads", "two");
        cli("--train-limit", "train", "--data", g, "--train-limit", "99999999999");
        cli("--lambda", "train", "--data", g, "--lambda", "0x");
        // Names, combinations, unknowns.
        cli("unknown estimator", "train", "--data", g, "--estimator", "foo");
        cli("unknown estimator", "train", "--data", g, "--estimator", "");
        cli("unknown schedule", "train", "--data", g, "--schedule", "linear");
        cli("--theta-schedule", "train", "--data", g, "--theta-schedule", "cosine");
        cli("--theta-schedule", "train", "--data", g, "--theta-schedule", "sometimes");
        cli("mutually exclusive", "train", "--data", g, "--lambda", "0.1", "--tau", "0.1");
        cli("--step-every", "train", "--data", g, "--schedule", "step", "--step-every", "0");
        cli("theta-step-every", "train", "--data", g, "--theta-schedule", "step", "--theta-step-every", "0");
        cli("--no-such-flag", "train", "--data", g, "--no-such-flag");
        cli("--lr", "train", "--data", g, "--lr");
        cli("unmatched argument", "train", "--data", g, "extra-positional");
        // Data folders and files.
        cli("no such directory", "train", "--data", dir.resolve("nope").toString());
        Path file = dir.resolve("cli-file");
        Files.writeString(file, "x");
        cli("no such directory", "train", "--data", file.toString());
        Path missing = folder(dir.resolve("cli-missing"), 16, 8, 28, 28, false);
        Files.delete(missing.resolve("t10k-images-idx3-ubyte"));
        cli("missing file", "train", "--data", missing.toString());
        Path trunc = folder(dir.resolve("cli-trunc"), 16, 8, 28, 28, false);
        byte[] b = Files.readAllBytes(trunc.resolve("train-images-idx3-ubyte"));
        Files.write(trunc.resolve("train-images-idx3-ubyte"), Arrays.copyOf(b, 100));
        cli("truncated", "train", "--data", trunc.toString());
        Path gz = folder(dir.resolve("cli-gz"), 16, 8, 28, 28, true);
        byte[] z = Files.readAllBytes(gz.resolve("train-labels-idx1-ubyte.gz"));
        Files.write(gz.resolve("train-labels-idx1-ubyte.gz"), Arrays.copyOf(z, z.length / 2));
        cli("truncated", "train", "--data", gz.toString());
        Path range = folder(dir.resolve("cli-range"), 16, 8, 28, 28, false);
        byte[] lab = new byte[8];
        lab[3] = 12;
        TestData.write(range.resolve("t10k-labels-idx1-ubyte"), TestData.labelsIdx(lab));
        cli("label 12", "train", "--data", range.toString());
        Path counts = folder(dir.resolve("cli-counts"), 16, 8, 28, 28, false);
        TestData.write(counts.resolve("t10k-labels-idx1-ubyte"), TestData.labelsIdx(new byte[9]));
        cli("9 labels", "train", "--data", counts.toString());
        Path small = folder(dir.resolve("cli-8x8"), 16, 8, 8, 8, false);
        cli("784", "train", "--data", small.toString());
        cli("--train-limit", "train", "--data", g, "--train-limit", "65");
        cli("--test-limit", "train", "--data", g, "--test-limit", "17");
        Path empty = folder(dir.resolve("cli-empty"), 0, 8, 28, 28, false);
        cli("empty", "train", "--data", empty.toString());
        cli("fewer than one batch", "train", "--data", g, "--batch", "65", "--width", "8", "--sections", "2");
        Path report = file.resolve("report.json"); // below a regular file: cannot be created
        cli("report", "train", "--data", g, "--width", "8", "--sections", "2", "--epochs", "1", "--batch", "32",
                "--report", report.toString());
    }

    private void cliOthers() {
        String g = good.toString();
        cli("missing command");
        cli("fly", "fly");
        cli("--bogus", "--bogus");
        cli("--sections", "estimator-check", "--data", g, "--sections", "17");
        cli("--sections", "estimator-check", "--data", g, "--sections", "0");
        cli("--width", "estimator-check", "--data", g, "--width", "0");
        cli("--rows", "estimator-check", "--data", g, "--rows", "0");
        cli("--rows", "estimator-check", "--data", g, "--rows", "65", "--train-limit", "0", "--train-epochs", "0");
        cli("--samples", "estimator-check", "--data", g, "--samples", "1");
        cli("--train-epochs", "estimator-check", "--data", g, "--train-epochs", "-1");
        cli("--train-limit", "estimator-check", "--data", g, "--train-limit", "-1");
        cli("--threads", "estimator-check", "--data", g, "--threads", "-1");
        cli("--theta", "estimator-check", "--data", g, "--theta", "1.5");
        cli("--theta", "estimator-check", "--data", g, "--theta", "NaN");
        cli("--theta", "estimator-check", "--data", g, "--sections", "4", "--theta", "0.5,0.5");
        cli("--estimator-fraction", "estimator-check", "--data", g, "--estimator-fraction", "NaN");
        cli("--estimator-fraction", "estimator-check", "--data", g, "--estimator-fraction", "0");
        cli("--lambda", "estimator-check", "--data", g, "--lambda", "NaN");
        cli("--lambda", "estimator-check", "--data", g, "--lambda=-Infinity");
        cli("--lambda", "estimator-check", "--data", g, "--lambda", "Infinity");
        cli("unknown estimator", "estimator-check", "--data", g, "--estimator", "bogus");
        cli("no such directory", "estimator-check", "--data", dir.resolve("nope").toString());
        cli("experiment", "experiment", "nonsense");
        cli("--depths", "experiment", "robustness", "--data", g, "--depths", "x");
        cli("--epochs", "experiment", "estimators", "--data", g, "--epochs", "-1");
        cli("--width", "experiment", "estimators", "--data", g, "--width", "0");
        cli("--threads", "experiment", "estimators", "--data", g, "--threads", "-1");
        cli("unknown estimator", "experiment", "estimators", "--data", g, "--estimators", "nope");
        cli("--train-limit", "experiment", "estimators", "--data", g, "--train-limit", "-3");
        cli("--lambdas", "experiment", "early-pruning", "--data", g, "--lambdas", "NaN");
    }
}
