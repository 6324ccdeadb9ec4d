package io.layerprune.cli;

import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.checkpoint.ContainerInfo;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.model.SectionState;
import io.layerprune.train.TrainConfig;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune inspect FILE}: what a container file holds. For a checkpoint: architecture,
 * training progress, parameter counts, theta and the pruning step of every section; for any other
 * layerprune container (an exported model): its kind (magic), versions and records.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Describes a layerprune file: a checkpoint (architecture, theta per section, pruning history, "
                + "parameter counts, file size, format and library version) or any other layerprune container "
                + "(kind, versions, records).", ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running (a missing, corrupt or foreign file), 2 usage error."})
public final class InspectCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "A checkpoint or another layerprune container file.")
    Path file;

    @Option(names = "--records", description = "Also list every record (name, type, size).")
    boolean records;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ContainerInfo info = ContainerInfo.read(file);
        out.printf("file: %s (%d bytes)%n", file, info.fileBytes());
        out.printf("kind: %s (magic %s), format version %d, written by layerprune %s, %d records%n",
                info.isCheckpoint() ? "checkpoint" : "layerprune container", info.magic(), info.formatVersion(),
                info.libraryVersion(), info.records().size());
        if (info.isCheckpoint()) {
            describeCheckpoint(out, info);
        }
        if (records || !info.isCheckpoint()) {
            out.println("records:");
            for (ContainerInfo.Record r : info.records()) {
                out.printf("  %-36s %-6s %12d bytes%s%n", r.name(), r.type(), r.bytes(),
                        r.value() != null ? "  = " + r.value() : r.length() != null ? "  (" + r.length() + " values)" : "");
            }
        }
        out.flush();
        return 0;
    }

    private void describeCheckpoint(PrintWriter out, ContainerInfo info) {
        try (Checkpoint ckpt = Checkpoint.load(file)) {
            Model model = ckpt.model();
            ModelSpec s = model.spec();
            out.printf("architecture: %s, input %d, width %d, %d sections, %d classes, seed %d%n", s.type(),
                    s.inputSize(), s.width(), s.sections(), s.classes(), s.seed());
            if (ckpt.hasTrainer()) {
                TrainConfig c = ckpt.config().orElseThrow();
                out.printf("training: epoch %d of %d%s, step %d, seed %d, batch %d, lambda %s, estimator %s%n",
                        ckpt.epochsDone(), c.epochs(), ckpt.finished() ? " (finished)" : "",
                        info.value("trainer.step").longValue(), c.seed(), c.batchSize(),
                        c.tau() != null ? "from tau " + c.tau() : Double.toString(c.lambda()), c.estimator().cliName());
            } else {
                out.println("training: none (a model saved alone)");
            }
            out.printf("params: %d now, %d at creation; %d of %d sections live%n", model.params(),
                    model.initialParams(), model.liveSections(), model.sections());
            out.println("sections:  index      theta  pruned at step  weights");
            for (SectionState st : model.sectionStates()) {
                out.printf("           %5d  %9.6f  %14s  %7d%n", st.index(), st.theta(),
                        st.pruned() ? Long.toString(st.prunedAtStep()) : "-", st.weights());
            }
        }
    }
}
