package io.layerprune.cli;

import io.layerprune.plot.PlotWriter;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code layerprune plot REPORT... --out DIR}: the PNG plots of finished (or interrupted) runs,
 * drawn from their JSON reports and the steps CSVs beside them. Needs no native library.
 */
@Command(name = "plot", mixinStandardHelpOptions = true, sortOptions = false,
        description = {
            "Draws PNG plots (" + PlotWriter.WIDTH + "x" + PlotWriter.HEIGHT + ") of training runs from their JSON "
                    + "reports: per run, theta of every section over training (<label>-theta.png), parameters over "
                    + "training (<label>-params.png) and cumulative training FLOPs against the unpruned equivalent "
                    + "(<label>-training-flops.png); over all finished runs, a histogram of the surviving section "
                    + "indices (survivors.png, or <label>-survivors.png for one report).",
            "<label> is the report's file name without .json (prefixed by its folder's name when two reports "
                    + "share a name). The curves come from <label>.steps.csv beside the report when it exists "
                    + "(written by train), otherwise from the report's per-epoch records.",
            ""},
        footer = {"", "Exit codes: 0 success, 1 failure while running, 2 usage error."})
public final class PlotCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(arity = "1..*", paramLabel = "REPORT", description = "JSON reports written by train (report.json).")
    List<Path> reports;

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "Folder for the PNG files (created if missing).")
    Path out;

    @Option(names = "--verbose", description = "Print stack traces with errors, and the library's debug log.")
    boolean verbose;

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        for (Path p : PlotWriter.plot(reports, out)) {
            w.println("plot: " + p);
        }
        w.flush();
        return 0;
    }
}
