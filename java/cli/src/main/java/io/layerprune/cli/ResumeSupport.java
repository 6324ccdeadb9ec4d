package io.layerprune.cli;

import io.layerprune.checkpoint.Checkpoint;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code train --resume FILE}: re-runs {@code train} with the arguments stored in the checkpoint
 * and the checkpoint's model, trainer and report so far. Only where things go (--save, --report,
 * --data when the folder moved), --threads, --stop-after-epochs and --quiet/--verbose may be given
 * again; everything that shapes the run comes from the checkpoint.
 */
final class ResumeSupport {
    private static final Set<String> OVERRIDABLE =
            Set.of("--resume", "--save", "--report", "--data", "--threads", "--quiet", "--verbose",
                    "--stop-after-epochs");

    private ResumeSupport() {}

    static int resume(TrainCommand cmd, CommandLine cl) {
        for (OptionSpec o : cl.getParseResult().matchedOptions()) {
            if (!OVERRIDABLE.contains(o.longestName())) {
                throw new ParameterException(cl, o.longestName() + " cannot be changed when resuming: the run's "
                        + "arguments come from the checkpoint (only --save, --report, --data, --threads, --quiet, --stop-after-epochs may be "
                        + "given)");
            }
        }
        Checkpoint ckpt = Checkpoint.load(cmd.resume);
        try {
            CliCheckpoint meta = CliCheckpoint.parse(ckpt.metadata(), cmd.resume);
            if (meta == null || !ckpt.hasTrainer()) {
                throw new ParameterException(cl, cmd.resume + " was not written by 'train --save' (no training "
                        + "arguments in it): resume it through the Java API (Checkpoint.resume)");
            }
            if (ckpt.finished()) {
                throw new ParameterException(cl, cmd.resume + " holds a finished run (" + ckpt.epochsDone()
                        + " epochs): use 'layerprune eval " + cmd.resume + "' to evaluate it");
            }
            List<String> args = new ArrayList<>(meta.args());
            if (!args.isEmpty() && args.get(0).equals("train")) {
                args.remove(0);
            }
            TrainCommand again = new TrainCommand(cmd.terminal());
            CommandLine c2 = new CommandLine(again);
            c2.setOut(cl.getOut());
            c2.setErr(cl.getErr());
            c2.parseArgs(args.toArray(new String[0]));
            CommandLine.ParseResult now = cl.getParseResult();
            if (now.hasMatchedOption("--save")) {
                again.save = cmd.save;
            }
            if (now.hasMatchedOption("--report")) {
                again.report = cmd.report;
            }
            if (now.hasMatchedOption("--data")) {
                again.data = cmd.data;
            }
            if (now.hasMatchedOption("--quiet")) {
                again.quiet = cmd.quiet;
            }
            // Bit-exact continuation needs the thread count the run had (0 = cores would differ elsewhere).
            again.threads = now.hasMatchedOption("--threads") ? cmd.threads : meta.threads();
            again.stopAfterEpochs = cmd.stopAfterEpochs;  // the stored one stopped the saved run: not again
            // The run's validation share (none for checkpoints written before it existed, whatever the
            // default is now): the same training images, hence the same normalisation.
            again.validationFraction = meta.heldOut();
            again.resume = cmd.resume;
            again.resumeFrom = ckpt;
            again.resumeMeta = meta;
            return again.call();
        } finally {
            ckpt.close();
        }
    }
}
