package io.layerprune.cli;

import io.layerprune.experiment.Experiments;
import io.layerprune.train.Estimator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune experiment NAME}: runs one of the issue-4 experiments through the Java API and
 * writes {@code NAME.md} and {@code NAME.json} under {@code runs/experiments/NAME-<timestamp>/}.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Runs an experiment (a grid of trainings) and writes a markdown table and its JSON under "
                    + "OUT/NAME-<timestamp>/. Progress: one line per run on stderr. Defaults:",
            "  estimators     the four theta estimators on 784->256, 12 sections, all 60k images, 3 epochs;",
            "  robustness     starting depth L = 6,12,24,48 x seeds 1,2,3, width 128, 20k images, 5 epochs, "
                    + "lambda 0.01, two-point fraction 0.25;",
            "  early-pruning  lambda 0, 0.003, 0.01, 0.03, 0.1 on 784->256, 12 sections, 60k images, 5 epochs.",
            "Flags given override the experiment's defaults (e.g. to shrink it for a test).",
            ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", converter = NameConverter.class, completionCandidates = Names.class,
            description = "Experiment: ${COMPLETION-CANDIDATES}.")
    Experiments.Name name;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of MNIST-format IDX files "
            + "(default: /usr/share/datasets/fashion-mnist).")
    Path data;

    @Option(names = "--train-limit", paramLabel = "N", description = "First N training images, 0 = all "
            + "(default: 20000 for robustness, else all).")
    Integer trainLimit;

    @Option(names = "--test-limit", paramLabel = "N", description = "First N test images, 0 = all (default: all).")
    Integer testLimit;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs per run (default: 3 for estimators, else 5).")
    Integer epochs;

    @Option(names = "--width", paramLabel = "D", description = "Width of stem and sections "
            + "(default: 128 for robustness, else 256).")
    Long width;

    @Option(names = "--depths", paramLabel = "L[,L...]", split = ",",
            description = "Starting depths (default: 6,12,24,48 for robustness, else 12).")
    List<Integer> depths;

    @Option(names = "--seeds", paramLabel = "S[,S...]", split = ",",
            description = "Seeds (default: 1,2,3 for robustness, else 1).")
    List<Long> seeds;

    @Option(names = "--lambdas", paramLabel = "X[,X...]", split = ",",
            description = "Lambdas: early-pruning runs each, the others use the first (default: 0,0.003,0.01,0.03,0.1 "
                    + "for early-pruning, else 0.01).")
    List<Double> lambdas;

    @Option(names = "--estimators", paramLabel = "NAME[,NAME...]", split = ",",
            converter = TrainCommand.EstimatorConverter.class,
            description = "Estimators: estimators runs each, the others use the first (default: all four for "
                    + "estimators, else two-point).")
    List<Estimator> estimators;

    @Option(names = "--threads", paramLabel = "N", description = "Native threads, 0 = one per physical core "
            + "(default: 1, robust timings on a shared machine).")
    Integer threads;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "runs/experiments",
            description = "Parent folder of the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    /** Maps Experiments.Settings field names in validation messages to the flags. */
    private static final Map<String, String> FLAGS = Map.of("trainLimit", "--train-limit", "testLimit", "--test-limit",
            "epochs", "--epochs", "width", "--width", "depths", "--depths", "seeds", "--seeds", "lambdas", "--lambdas",
            "estimators", "--estimators", "threads", "--threads");

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        PrintWriter o = cl.getOut();
        PrintWriter err = cl.getErr();
        Experiments.Settings d = Experiments.Settings.defaults(name);
        Experiments.Settings s;
        try {
            s = new Experiments.Settings(data != null ? data : d.data(),
                    trainLimit != null ? trainLimit : d.trainLimit(), testLimit != null ? testLimit : d.testLimit(), epochs != null ? epochs : d.epochs(),
                    width != null ? width : d.width(), depths != null ? depths : d.depths(),
                    seeds != null ? seeds : d.seeds(), lambdas != null ? lambdas : d.lambdas(),
                    estimators != null ? estimators : d.estimators(), threads != null ? threads : d.threads());
        } catch (IllegalArgumentException e) {
            throw OptionErrors.fromValidation(cl, e, FLAGS);
        }
        Experiments.Outcome r = Experiments.run(name, s, out, err);
        o.println(r.markdown());
        o.printf(java.util.Locale.ROOT, "results: %s (%s, %s), wall time %.1f s%n", r.dir(),
                r.markdownFile().getFileName(), r.jsonFile().getFileName(), r.wallSeconds());
        o.flush();
        return 0;
    }

    static final class NameConverter implements ITypeConverter<Experiments.Name> {
        @Override
        public Experiments.Name convert(String value) {
            try {
                return Experiments.Name.fromName(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static final class Names implements Iterable<String> {
        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(Experiments.Name.values()).map(Experiments.Name::cliName).iterator();
        }
    }
}
