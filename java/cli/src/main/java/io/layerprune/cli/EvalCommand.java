package io.layerprune.cli;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.layerprune.EvalMode;
import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.model.Evaluation;
import io.layerprune.model.Model;
import io.layerprune.runtime.Layerprune;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune eval FILE}: test accuracy of a checkpoint's model on the test set of the data it
 * was trained on (the folder, limits and normalisation recorded by {@code train --save}), or of
 * {@code --data}. For a finished run it equals the training report's final test accuracy exactly.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluates the model of a checkpoint (train --save, Model.save) on a test set: loss and accuracy "
                + "of the deterministic network (theta >= 0.5 kept), or of the expected one with --mode expected.", ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "Checkpoint file.")
    Path file;

    @Option(names = "--data", paramLabel = "DIR", description = "Data folder (CIFAR-10 binary or MNIST-format IDX); "
            + "default: the folder the checkpoint was trained on.")
    Path data;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "deterministic",
            description = "deterministic or expected (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the result as JSON to FILE.")
    Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Native threads; 0 = one per physical core (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    /** The JSON written by --out. */
    @JsonPropertyOrder({"checkpoint", "data", "mode", "test_accuracy", "test_loss", "samples", "sections_kept",
            "sections_total", "params"})
    record Result(String checkpoint, String data, String mode, double testAccuracy, double testLoss, long samples,
            int sectionsKept, int sectionsTotal, long params) {}

    @Override
    public Integer call() {
        CommandLine cl = spec.commandLine();
        EvalMode evalMode;
        if (mode.equals("deterministic")) {
            evalMode = EvalMode.DETERMINISTIC;
        } else if (mode.equals("expected")) {
            evalMode = EvalMode.EXPECTED;
        } else {
            throw new ParameterException(cl, "invalid value for --mode: '" + mode + "', expected deterministic or expected");
        }
        OptionErrors.requireAtLeast(cl, "--threads", threads, 0);
        Layerprune.setThreads(threads);
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            CliCheckpoint meta = CliCheckpoint.parse(ckpt.metadata(), file);
            Path folder = data != null ? data : meta != null ? Path.of(meta.data()) : null;
            if (folder == null) {
                throw new ParameterException(cl, file + " does not record its data folder (saved without "
                        + "'train --save'): give --data DIR");
            }
            if (!Files.isDirectory(folder)) {
                throw new io.layerprune.DataException(folder + ": no such directory");
            }
            Model model = ckpt.model();
            int trainLimit = meta != null ? meta.trainLimit() : 0;
            int testLimit = meta != null ? meta.testLimit() : 0;
            double heldOut = meta != null ? meta.heldOut() : 0;
            long splitSeed = meta != null ? meta.seedOfSplit() : 0;
            try (DataSplits splits = DataSplits.load(folder, trainLimit, testLimit, model.classes(), heldOut,
                    splitSeed)) {
                if (meta != null) {
                    meta.checkNormalisation(splits.mean(), splits.std(), folder);
                }
                Evaluation e = model.evaluate(splits.test(), evalMode);
                int kept = model.liveSections();
                Result r = new Result(file.toString(), folder.toString(), mode, e.accuracy(), e.loss(), e.samples(),
                        kept, model.sections(), model.params());
                PrintWriter pw = cl.getOut();
                pw.printf("%s: test accuracy %s (%s network), loss %.6f, %d samples; %d of %d sections, %d params%n",
                        file, Double.toString(e.accuracy()), mode, e.loss(), e.samples(), kept, model.sections(),
                        model.params());
                if (ckpt.hasTrainer() && !ckpt.finished()) {
                    pw.printf("note: the run was saved after epoch %d of %d and has not finished (not determinized)%n",
                            ckpt.epochsDone(), ckpt.config().map(c -> c.epochs()).orElse(0));
                }
                pw.flush();
                if (out != null) {
                    JsonFiles.write(out, r);
                }
            }
        }
        return 0;
    }
}
