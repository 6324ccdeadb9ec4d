package io.layerprune.experiment;

import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.report.ReportWriter;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.Estimator;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The experiments of issue 4, each a grid of {@link Trainer#fit} runs on an MNIST-format data set
 * (Fashion-MNIST by default), written as {@code <name>.md} (markdown tables) and
 * {@code <name>.json} into {@code <outRoot>/<name>-<timestamp>/}.
 *
 * <ul>
 *   <li>{@link Name#ESTIMATORS}: each of the four theta estimators on the main job's network;
 *   <li>{@link Name#ROBUSTNESS}: kept depth against the starting depth L, several seeds;
 *   <li>{@link Name#EARLY_PRUNING}: when the last section is pruned, for several lambdas.
 * </ul>
 */
public final class Experiments {
    /** Schema of the JSON files. */
    public static final String SCHEMA = "layerprune.experiment/1";

    private Experiments() {}

    /** The experiments. */
    public enum Name {
        ESTIMATORS("estimators"),
        ROBUSTNESS("robustness"),
        EARLY_PRUNING("early-pruning");

        private final String cliName;

        Name(String cliName) {
            this.cliName = cliName;
        }

        public String cliName() {
            return cliName;
        }

        public static Name fromName(String s) {
            for (Name n : values()) {
                if (n.cliName.equalsIgnoreCase(s) || n.name().equalsIgnoreCase(s)) {
                    return n;
                }
            }
            throw new IllegalArgumentException("unknown experiment '" + s + "', expected one of "
                    + Arrays.stream(values()).map(Name::cliName).collect(Collectors.joining(", ")));
        }

        @Override
        public String toString() {
            return cliName;
        }
    }

    /**
     * What an experiment runs.
     *
     * @param trainLimit first N training images (0 = all)
     * @param testLimit first N test images (0 = all)
     * @param depths starting depths L
     * @param seeds seeds (weights, gates, shuffling)
     * @param lambdas lambdas (early-pruning; the others use the first)
     * @param estimators estimators (estimators; the others use the first)
     * @param threads native threads (0 = physical cores)
     */
    public record Settings(Path data, int trainLimit, int testLimit, int epochs, long width, List<Integer> depths,
            List<Long> seeds, List<Double> lambdas, List<Estimator> estimators, int threads) {
        public Settings {
            Objects.requireNonNull(data, "data");
            depths = List.copyOf(depths);
            seeds = List.copyOf(seeds);
            lambdas = List.copyOf(lambdas);
            estimators = List.copyOf(estimators);
            if (trainLimit < 0) {
                throw new IllegalArgumentException("trainLimit must be >= 0 (0 = all), got " + trainLimit);
            }
            if (testLimit < 0) {
                throw new IllegalArgumentException("testLimit must be >= 0 (0 = all), got " + testLimit);
            }
            if (epochs < 1) {
                throw new IllegalArgumentException("epochs must be >= 1, got " + epochs);
            }
            if (width < 1) {
                throw new IllegalArgumentException("width must be >= 1, got " + width);
            }
            if (depths.isEmpty() || depths.stream().anyMatch(d -> d < 0)) {
                throw new IllegalArgumentException("depths must be a non-empty list of values >= 0, got " + depths);
            }
            if (seeds.isEmpty()) {
                throw new IllegalArgumentException("seeds must not be empty");
            }
            if (lambdas.isEmpty() || lambdas.stream().anyMatch(l -> !(l >= 0) || !Double.isFinite(l))) {
                throw new IllegalArgumentException("lambdas must be a non-empty list of values >= 0, got " + lambdas);
            }
            if (estimators.isEmpty()) {
                throw new IllegalArgumentException("estimators must not be empty");
            }
            if (threads < 0) {
                throw new IllegalArgumentException("threads must be >= 0, got " + threads);
            }
        }

        /** The defaults of an experiment (issue 4, ALGORITHM.md section 7). */
        public static Settings defaults(Name name) {
            Path data = IdxDataset.DEFAULT_FOLDER;
            List<Estimator> all = List.of(Estimator.values());
            return switch (name) {
                case ESTIMATORS -> new Settings(data, 0, 0, 3, 256, List.of(12), List.of(1L), List.of(0.01), all, 1);
                case ROBUSTNESS -> new Settings(data, 20000, 0, 5, 128, List.of(6, 12, 24, 48), List.of(1L, 2L, 3L),
                        List.of(0.01), List.of(Estimator.TWO_POINT), 1);
                case EARLY_PRUNING -> new Settings(data, 0, 0, 5, 256, List.of(12), List.of(1L),
                        List.of(0.0, 0.003, 0.01, 0.03, 0.1), List.of(Estimator.TWO_POINT), 1);
            };
        }
    }

    /** Where a section went: pruned during training, or by the final determinization ({@code atFinish}). */
    public record Pruning(int section, long step, boolean atFinish) {}

    /**
     * One training run.
     *
     * @param lastPruneStep step of the last pruning during training (not the final determinization), or null
     * @param lastPruneFraction lastPruneStep / steps, or null
     * @param prunedAtFinish sections removed by the final determinization (theta &lt; 0.5 at the end)
     */
    public record Run(String estimator, double lambda, int depth, long seed, double testAccuracy,
            double testAccuracyExpected, int sectionsKept, int sectionsTotal, double trainingFlopsRatio,
            double trainingFlopsSaved, long steps, Long lastPruneStep, Double lastPruneFraction, int prunedAtFinish,
            List<Pruning> pruned, double seconds) {}

    /** Kept depth over the seeds of one starting depth (robustness). */
    public record DepthSummary(int depth, int runs, double keptMean, int keptMin, int keptMax, double accuracyMin,
            double accuracyMax) {}

    /** Everything an experiment wrote. */
    public record Outcome(Name name, Path dir, Path markdownFile, Path jsonFile, String markdown, List<Run> runs,
            List<DepthSummary> summary, double wallSeconds) {}

    /** The JSON document. */
    record Document(String schema, String experiment, String version, String created, SettingsJson settings,
            double wallSeconds, List<Run> runs, List<DepthSummary> depthSummary) {}

    record SettingsJson(String data, int trainLimit, int testLimit, long trainImages, long testImages, int epochs,
            long width, List<Integer> depths, List<Long> seeds, List<Double> lambdas, List<String> estimators,
            int threads) {}

    /**
     * Runs an experiment and writes its files.
     *
     * @param outRoot parent of the run folder, e.g. {@code runs/experiments}
     * @param progress one line per run (and a header) goes here
     */
    public static Outcome run(Name name, Settings s, Path outRoot, PrintWriter progress) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(s, "settings");
        Objects.requireNonNull(outRoot, "outRoot");
        Layerprune.setThreads(s.threads());
        long t0 = System.nanoTime();
        List<Run> runs = new ArrayList<>();
        long trainImages;
        long testImages;
        try (IdxDataset.Splits splits = IdxDataset.load(s.data(), s.trainLimit(), s.testLimit(), 10)) {
            trainImages = splits.train().size();
            testImages = splits.test().size();
            List<Variant> grid = grid(name, s);
            progress.printf(Locale.ROOT, "experiment %s: %d runs, %d training / %d test images, width %d, %d epochs, "
                    + "%d thread(s)%n", name, grid.size(), trainImages, testImages, s.width(), s.epochs(),
                    Layerprune.threads());
            progress.flush();
            int i = 0;
            for (Variant v : grid) {
                i++;
                Run r = runOne(splits, s, v);
                runs.add(r);
                progress.printf(Locale.ROOT, "[%d/%d] %s L=%d seed %d lambda %s: kept %d/%d, acc %.4f, "
                        + "training FLOPs %.2f of unpruned, last prune %s, %.1f s%n", i, grid.size(), r.estimator(),
                        r.depth(), r.seed(), fmt(r.lambda()), r.sectionsKept(), r.sectionsTotal(), r.testAccuracy(),
                        r.trainingFlopsRatio(), r.lastPruneStep() == null ? "none" : "step " + r.lastPruneStep()
                                + " of " + r.steps(), r.seconds());
                progress.flush();
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        List<DepthSummary> summary = name == Name.ROBUSTNESS ? summarize(runs) : List.of();
        String md = markdown(name, s, runs, summary, trainImages, testImages, wall);

        Path dir = newDir(outRoot, name);
        Path mdFile = dir.resolve(name.cliName() + ".md");
        Path jsonFile = dir.resolve(name.cliName() + ".json");
        SettingsJson sj = new SettingsJson(s.data().toString(), s.trainLimit(), s.testLimit(), trainImages, testImages,
                s.epochs(), s.width(), s.depths(), s.seeds(), s.lambdas(),
                s.estimators().stream().map(Estimator::cliName).toList(), Layerprune.threads());
        Document doc = new Document(SCHEMA, name.cliName(), Layerprune.version(),
                OffsetDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ISO_OFFSET_DATE_TIME), sj, wall, runs,
                summary);
        try {
            Files.writeString(mdFile, md, StandardCharsets.UTF_8);
            Files.writeString(jsonFile, ReportWriter.mapper().writeValueAsString(doc) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the results to " + dir + ": " + e.getMessage(), e);
        }
        return new Outcome(name, dir, mdFile, jsonFile, md, List.copyOf(runs), summary, wall);
    }

    private record Variant(Estimator estimator, double lambda, int depth, long seed) {}

    private static List<Variant> grid(Name name, Settings s) {
        List<Variant> out = new ArrayList<>();
        List<Estimator> estimators = name == Name.ESTIMATORS ? s.estimators() : List.of(s.estimators().get(0));
        List<Double> lambdas = name == Name.EARLY_PRUNING ? s.lambdas() : List.of(s.lambdas().get(0));
        for (int depth : s.depths()) {
            for (Estimator e : estimators) {
                for (double lambda : lambdas) {
                    for (long seed : s.seeds()) {
                        out.add(new Variant(e, lambda, depth, seed));
                    }
                }
            }
        }
        return out;
    }

    private static Run runOne(IdxDataset.Splits splits, Settings s, Variant v) {
        TrainConfig config = TrainConfig.builder().epochs(s.epochs()).seed(v.seed()).estimator(v.estimator())
                .lambda(v.lambda()).build();
        ResidualMlp.Spec spec = ResidualMlp.builder().inputSize(784).width(s.width()).sections(v.depth()).classes(10)
                .seed(v.seed()).spec();
        try (Model model = spec.build(); Trainer trainer = Trainer.create(model, config)) {
            // No per-epoch numbers: the grid is compared on the test set once, at the end.
            TrainingResult r = trainer.fit(splits.train(), null, splits.test());
            List<Pruning> pruned = new ArrayList<>();
            Long last = null;
            int atFinish = 0;
            for (PruneEvent p : r.pruneEvents()) {
                pruned.add(new Pruning(p.section(), p.step(), p.atFinish()));
                if (p.atFinish()) {
                    atFinish++;
                } else {
                    last = last == null ? p.step() : Math.max(last, p.step());
                }
            }
            double ratio = r.trainingFlopsRatio();
            return new Run(v.estimator().cliName(), v.lambda(), v.depth(), v.seed(), r.testAccuracy(),
                    r.testAccuracyExpected(), r.sectionsKept(), r.sectionsTotal(), ratio, 1 - ratio, r.steps(), last,
                    last == null ? null : (double) last / r.steps(), atFinish, List.copyOf(pruned), r.seconds());
        }
    }

    static List<DepthSummary> summarize(List<Run> runs) {
        List<DepthSummary> out = new ArrayList<>();
        for (int depth : runs.stream().map(Run::depth).distinct().toList()) {
            List<Run> rs = runs.stream().filter(r -> r.depth() == depth).toList();
            out.add(new DepthSummary(depth, rs.size(), rs.stream().mapToInt(Run::sectionsKept).average().orElse(0),
                    rs.stream().mapToInt(Run::sectionsKept).min().orElse(0),
                    rs.stream().mapToInt(Run::sectionsKept).max().orElse(0),
                    rs.stream().mapToDouble(Run::testAccuracy).min().orElse(Double.NaN),
                    rs.stream().mapToDouble(Run::testAccuracy).max().orElse(Double.NaN)));
        }
        return out;
    }

    static String markdown(Name name, Settings s, List<Run> runs, List<DepthSummary> summary, long trainImages,
            long testImages, double wall) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Experiment: ").append(name.cliName()).append("\n\n");
        sb.append(String.format(Locale.ROOT, "Fashion-MNIST, %d training / %d test images, width %d, %d epochs, "
                + "batch %d, %s; %d native thread(s); wall time %.1f s (%s).%n%n", trainImages, testImages, s.width(),
                s.epochs(), TrainConfig.defaults().batchSize(), describe(name, s), Layerprune.threads(), wall,
                "layerprune " + Layerprune.version()));
        switch (name) {
            case ESTIMATORS -> {
                sb.append("| estimator | L | seed | test acc (deterministic) | sections kept | training FLOPs vs "
                        + "unpruned | training time |\n|---|---|---|---|---|---|---|\n");
                for (Run r : runs) {
                    sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %.4f | %d of %d | %.2f | %.1f s |%n",
                            r.estimator(), r.depth(), r.seed(), r.testAccuracy(), r.sectionsKept(), r.sectionsTotal(),
                            r.trainingFlopsRatio(), r.seconds()));
                }
            }
            case ROBUSTNESS -> {
                sb.append("| L | runs | kept mean | kept min | kept max | test acc min-max |\n"
                        + "|---|---|---|---|---|---|\n");
                for (DepthSummary d : summary) {
                    sb.append(String.format(Locale.ROOT, "| %d | %d | %.1f | %d | %d | %.4f-%.4f |%n", d.depth(),
                            d.runs(), d.keptMean(), d.keptMin(), d.keptMax(), d.accuracyMin(), d.accuracyMax()));
                }
                sb.append("\n| L | seed | kept | test acc (deterministic) | training FLOPs vs unpruned | steps "
                        + "at which sections were pruned (* = final determinization) | training time |\n"
                        + "|---|---|---|---|---|---|---|\n");
                for (Run r : runs) {
                    sb.append(String.format(Locale.ROOT, "| %d | %d | %d | %.4f | %.2f | %s | %.1f s |%n", r.depth(),
                            r.seed(), r.sectionsKept(), r.testAccuracy(), r.trainingFlopsRatio(), steps(r),
                            r.seconds()));
                }
            }
            case EARLY_PRUNING -> {
                sb.append("| lambda | L | seed | last section pruned at (fraction of training steps) | sections kept "
                        + "| test acc (deterministic) | training FLOPs saved | training time |\n"
                        + "|---|---|---|---|---|---|---|---|\n");
                for (Run r : runs) {
                    String when = r.lastPruneStep() == null ? "none pruned"
                            : String.format(Locale.ROOT, "%.3f (step %d of %d)", r.lastPruneFraction(),
                                    r.lastPruneStep(), r.steps());
                    if (r.prunedAtFinish() > 0) {
                        when += String.format(Locale.ROOT, "; %d more at the end (theta < 0.5)", r.prunedAtFinish());
                    }
                    sb.append(String.format(Locale.ROOT, "| %s | %d | %d | %s | %d of %d | %.4f | %.2f | %.1f s |%n",
                            fmt(r.lambda()), r.depth(), r.seed(), when, r.sectionsKept(), r.sectionsTotal(),
                            r.testAccuracy(), r.trainingFlopsSaved(), r.seconds()));
                }
            }
        }
        return sb.toString();
    }

    private static String describe(Name name, Settings s) {
        return switch (name) {
            case ESTIMATORS -> "lambda " + fmt(s.lambdas().get(0)) + ", library defaults otherwise (two-point "
                    + "fraction " + TrainConfig.defaults().estimatorFraction() + ")";
            case ROBUSTNESS -> s.estimators().get(0).cliName() + " (fraction "
                    + TrainConfig.defaults().estimatorFraction() + "), lambda " + fmt(s.lambdas().get(0))
                    + ", seeds " + s.seeds();
            case EARLY_PRUNING -> s.estimators().get(0).cliName() + " (fraction "
                    + TrainConfig.defaults().estimatorFraction() + "), library defaults otherwise";
        };
    }

    private static String steps(Run r) {
        if (r.pruned().isEmpty()) {
            return "none";
        }
        return r.pruned().stream().sorted((a, b) -> Long.compare(a.step(), b.step()))
                .map(p -> p.step() + (p.atFinish() ? "*" : "")).collect(Collectors.joining(", "));
    }

    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static Path newDir(Path root, Name name) {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        try {
            Files.createDirectories(root);
            Path p = root.resolve(name.cliName() + "-" + stamp);
            for (int i = 2; ; i++) {
                try {
                    return Files.createDirectory(p);
                } catch (java.nio.file.FileAlreadyExistsException e) {
                    p = root.resolve(name.cliName() + "-" + stamp + "-" + i);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a folder under " + root + ": " + e.getMessage(), e);
        }
    }
}
