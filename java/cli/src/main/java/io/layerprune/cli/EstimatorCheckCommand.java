package io.layerprune.cli;

import io.layerprune.DataException;
import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.zoo.ResNet;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.Estimator;
import io.layerprune.train.EstimatorCheck;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune estimator-check}: every estimator of the data gradient of theta against the
 * exact expectation over all 2^L gate patterns, on a small residual MLP (ALGORITHM.md sections 3
 * and 7). Prints a table per estimator and a summary; {@code --out} writes it as JSON.
 */
@Command(name = "estimator-check", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Compares the theta-gradient estimators with the exact expectation over all 2^L gate patterns "
                    + "on a small residual MLP trained briefly on Fashion-MNIST (no gates, so the weights are "
                    + "trained and every section is present), then set to the given theta.",
            "Per section: exact value, Monte-Carlo mean, bias, relative bias (bias / max |exact|), per-sample "
                    + "std, and whether the bias is within 4 standard errors (unbiased estimators: yes).",
            ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class EstimatorCheckCommand implements Callable<Integer> {
    /** Schema of the JSON written by {@code --out}. */
    public static final String SCHEMA = "layerprune.estimator-check/1";

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Folder of MNIST-format IDX files (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "mlp",
            description = "mlp (a residual MLP of --sections and --width) or resnet20 / resnet32 (9 / 15 gated "
                    + "sections on 1x28x28) (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--sections", paramLabel = "L", defaultValue = "4",
            description = "Gated sections L, at most 16 (default: ${DEFAULT-VALUE}).")
    int sections;

    @Option(names = "--width", paramLabel = "D", defaultValue = "64",
            description = "Width of stem and sections (default: ${DEFAULT-VALUE}).")
    long width;

    @Option(names = "--rows", paramLabel = "N", defaultValue = "256",
            description = "Training images the losses are computed on (default: ${DEFAULT-VALUE}).")
    long rows;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "2000",
            description = "Monte-Carlo draws of the gate vector per estimator (default: ${DEFAULT-VALUE}).")
    long samples;

    @Option(names = "--train-epochs", paramLabel = "N", defaultValue = "1",
            description = "Epochs of plain (no-gates) training before the check; 0 = untrained weights "
                    + "(default: ${DEFAULT-VALUE}).")
    int trainEpochs;

    @Option(names = "--train-limit", paramLabel = "N", defaultValue = "6000",
            description = "Training images used, for training and the check (default: ${DEFAULT-VALUE}).")
    int trainLimit;

    @Option(names = "--theta", paramLabel = "P[,P...]", defaultValue = "0.5", split = ",",
            description = "theta of every section (one value) or of each (L values) (default: ${DEFAULT-VALUE}).")
    double[] theta;

    @Option(names = "--estimator", paramLabel = "NAME", converter = TrainCommand.EstimatorConverter.class,
            completionCandidates = TrainCommand.EstimatorNames.class,
            description = "Only this estimator: ${COMPLETION-CANDIDATES} (default: all four).")
    Estimator estimator;

    @Option(names = "--estimator-fraction", paramLabel = "F",
            description = "two-point: fraction of the sections re-run (default: the library default).")
    Double fraction;

    @Option(names = "--estimator-budget", paramLabel = "F",
            description = "budgeted: expected re-run FLOPs as a fraction of a training step (default: the library "
                    + "default).")
    Double budget;

    @Option(names = "--lambda", paramLabel = "X",
            description = "Prior strength for the prior column (default: the library default).")
    Double lambda;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
            description = "Seed of weights, training and the draws (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Native threads; 0 = one per physical core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the results as JSON to FILE.")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    /** One estimator's results with the theta used. */
    record Result(EstimatorCheck check, double[] theta) {}

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        PrintWriter o = cl.getOut();
        PrintWriter err = cl.getErr();
        if (sections < 1 || sections > EstimatorCheck.MAX_SECTIONS) {
            throw new ParameterException(cl, "invalid value for --sections: must be in [1, " + EstimatorCheck.MAX_SECTIONS
                    + "] (exact enumeration of 2^L patterns), got " + sections);
        }
        OptionErrors.requireAtLeast(cl, "--width", width, 1);
        OptionErrors.requireAtLeast(cl, "--samples", samples, 2);
        OptionErrors.requireAtLeast(cl, "--train-epochs", trainEpochs, 0);
        OptionErrors.requireAtLeast(cl, "--train-limit", trainLimit, 0, "(0 = all)");
        OptionErrors.requireAtLeast(cl, "--rows", rows, 1);
        OptionErrors.requireAtLeast(cl, "--threads", threads, 0);
        ModelSpec mspec;
        if (model.equals("mlp")) {
            mspec = ResidualMlp.builder().inputSize(784).width(width).sections(sections).classes(10).seed(seed).spec();
        } else if (model.equals("resnet20") || model.equals("resnet32")) {
            mspec = ResNet.builder().depth(Integer.parseInt(model.substring(6))).input(1, 28, 28).classes(10).seed(seed)
                    .spec();
        } else {
            throw new ParameterException(cl, "invalid value for --model: use mlp, resnet20 or resnet32 (at most "
                    + EstimatorCheck.MAX_SECTIONS + " sections for exact enumeration), got '" + model + "'");
        }
        int nSections = mspec.sections();
        double[] thetas = new double[nSections];
        if (theta.length == 1) {
            Arrays.fill(thetas, theta[0]);
        } else if (theta.length == nSections) {
            thetas = theta.clone();
        } else {
            throw new ParameterException(cl, "invalid value for --theta: give one value or " + nSections
                    + " (one per section), got " + theta.length);
        }
        for (double t : thetas) {
            if (!(t >= 0 && t <= 1)) {
                throw new ParameterException(cl, "invalid value for --theta: every theta must be in [0, 1], got " + t);
            }
        }
        TrainConfig defaults = TrainConfig.defaultsFor(mspec);  // the model family's budget and lambda
        double frac = fraction != null ? fraction : defaults.estimatorFraction();
        if (!(frac > 0 && frac <= 1)) {
            throw new ParameterException(cl, "invalid value for --estimator-fraction: must be in (0, 1], got " + frac);
        }
        double bud = budget != null ? budget : defaults.estimatorBudget();
        if (!(bud > 0 && bud <= 1)) {
            throw new ParameterException(cl, "invalid value for --estimator-budget: must be in (0, 1], got " + bud);
        }
        double lam = lambda != null ? lambda : defaults.lambda();
        if (!(lam >= 0) || !Double.isFinite(lam)) {
            throw new ParameterException(cl, "invalid value for --lambda: must be >= 0, got " + lam);
        }
        if (!Files.isDirectory(data)) {
            throw new DataException(data + ": no such directory (--data expects a folder of MNIST-format IDX files)");
        }
        List<Estimator> estimators = estimator != null ? List.of(estimator) : List.of(Estimator.values());
        Layerprune.setThreads(threads);

        List<EstimatorCheck> checks = new ArrayList<>();
        long trainSize;
        try (IdxDataset.Splits splits = IdxDataset.load(data, trainLimit, 1, 10)) {
            trainSize = splits.train().size();
            if (rows > trainSize) {
                throw new ParameterException(cl, "invalid value for --rows: must be <= the training images used ("
                        + trainSize + "), got " + rows);
            }
            try (Model model = mspec.build()) {
                if (trainEpochs > 0) {
                    TrainConfig cfg = TrainConfig.defaultsFor(mspec).toBuilder().noGates(true).epochs(trainEpochs)
                            .seed(seed).build();
                    try (Trainer t = Trainer.create(model, cfg)) {
                        long t0 = System.nanoTime();
                        var r = t.fit(splits.train(), null);
                        err.printf(Locale.ROOT, "trained %d epoch(s) without gates on %d images in %.1f s%n",
                                trainEpochs, trainSize, (System.nanoTime() - t0) / 1e9);
                        err.flush();
                        if (r.sectionsKept() != mspec.sections()) {
                            throw new IllegalStateException("no-gates training pruned sections");
                        }
                    }
                }
                for (int l = 0; l < mspec.sections(); l++) {
                    model.setTheta(l, thetas[l]);
                }
                for (Estimator e : estimators) {
                    long t0 = System.nanoTime();
                    EstimatorCheck c = EstimatorCheck.run(model, splits.train(), rows, e,
                            e == Estimator.BUDGETED ? bud : frac, samples, seed, lam,
                            defaults.s2(), trainSize);
                    err.printf(Locale.ROOT, "%s: %d draws in %.1f s%n", e.cliName(), samples,
                            (System.nanoTime() - t0) / 1e9);
                    err.flush();
                    checks.add(c);
                }
            }
        }
        print(o, checks, thetas);
        if (out != null) {
            Map<String, Object> json = json(checks, thetas, trainSize, lam);
            JsonFiles.write(out, json);
            o.println("json: " + out);
        }
        o.flush();
        return 0;
    }

    private void print(PrintWriter o, List<EstimatorCheck> checks, double[] thetas) {
        o.printf(Locale.ROOT, "%s, %d sections, %d rows, %d draws of xi, theta %s%n",
                model.equals("mlp") ? "residual MLP 784->" + width : model, thetas.length, rows, samples,
                Arrays.toString(thetas));
        for (EstimatorCheck c : checks) {
            o.println();
            o.printf(Locale.ROOT, "%s%s   E[L] = %.5f%n", c.estimator().cliName(),
                    c.estimator() == Estimator.TWO_POINT ? " (fraction " + c.fraction() + ")"
                    : c.estimator() == Estimator.BUDGETED ? " (budget " + c.fraction() + ")" : "", c.expectedLoss());
            o.println();
            o.println(markdownSections(c, thetas));
        }
        o.println();
        o.println(markdownSummary(checks));
    }

    /** Per-section markdown table of one estimator. */
    static String markdownSections(EstimatorCheck c, double[] thetas) {
        StringBuilder sb = new StringBuilder();
        sb.append("| section | theta | exact | mean | bias | rel. bias | std/sample | within 4 SE |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (int l = 0; l < c.sections(); l++) {
            sb.append(String.format(Locale.ROOT, "| %d | %.2f | %+.5f | %+.5f | %+.5f | %+.3f | %.4f | %s |%n", l,
                    thetas[l], c.exact()[l], c.mean()[l], c.bias(l), c.relativeBias(l), c.stddev()[l],
                    c.withinStandardErrors(l, 4) ? "yes" : "no"));
        }
        return sb.toString().stripTrailing();
    }

    /** One row per estimator: max |relative bias|, mean per-sample std, sections within 4 SE. */
    static String markdownSummary(List<EstimatorCheck> checks) {
        StringBuilder sb = new StringBuilder();
        sb.append("| estimator | max abs. rel. bias | mean std/sample | cost/step | mean variance at one step's cost "
                + "| sections within 4 SE |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (EstimatorCheck c : checks) {
            int within = 0;
            for (int l = 0; l < c.sections(); l++) {
                within += c.withinStandardErrors(l, 4) ? 1 : 0;
            }
            sb.append(String.format(Locale.ROOT, "| %s | %.3f | %.4f | %.4f | %s | %d / %d |%n", c.estimator().cliName(),
                    c.maxAbsRelativeBias(), c.meanStddev(), c.costPerStep(),
                    c.costPerStep() > 0 ? String.format(Locale.ROOT, "%.3e", c.meanVarianceAtOneStep()) : "-",
                    within, c.sections()));
        }
        return sb.toString().stripTrailing();
    }

    private Map<String, Object> json(List<EstimatorCheck> checks, double[] thetas, long trainSize, double lam) {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("schema", SCHEMA);
        root.put("version", Layerprune.version());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", model);
        settings.put("sections", thetas.length);
        settings.put("width", width);
        settings.put("rows", rows);
        settings.put("samples", samples);
        settings.put("train_epochs", trainEpochs);
        settings.put("train_images", trainSize);
        settings.put("theta", thetas);
        settings.put("lambda", lam);
        settings.put("seed", seed);
        root.put("settings", settings);
        List<Object> list = new ArrayList<>();
        for (EstimatorCheck c : checks) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("estimator", c.estimator().cliName());
            e.put("fraction", c.fraction());
            e.put("expected_loss", c.expectedLoss());
            e.put("max_abs_relative_bias", finite(c.maxAbsRelativeBias()));
            e.put("mean_stddev", c.meanStddev());
            e.put("cost_per_step", c.costPerStep());
            e.put("mean_variance_at_one_step", finite(c.meanVarianceAtOneStep()));
            List<Object> secs = new ArrayList<>();
            for (int l = 0; l < c.sections(); l++) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("index", l);
                s.put("theta", thetas[l]);
                s.put("exact", c.exact()[l]);
                s.put("mean", c.mean()[l]);
                s.put("bias", c.bias(l));
                s.put("relative_bias", finite(c.relativeBias(l)));
                s.put("stddev", c.stddev()[l]);
                s.put("stderr", c.stderr(l));
                s.put("within_4se", c.withinStandardErrors(l, 4));
                s.put("variance_at_one_step", finite(c.varianceAtOneStep(l)));
                s.put("prior", c.prior()[l]);
                secs.add(s);
            }
            e.put("sections", secs);
            list.add(e);
        }
        root.put("estimators", list);
        return root;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
