package io.layerprune.cli;

import io.layerprune.runtime.Layerprune;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Entry point of {@code bin/layerprune}: {@code layerprune <command> [options]}.
 *
 * <p>Errors are one line on stderr, {@code layerprune: error: <message>}, with exit code 2 for
 * usage errors (bad flags or values) and 1 for failures while running. {@code --verbose} or the
 * environment variable {@code LAYERPRUNE_DEBUG} add the stack trace.
 */
@Command(name = "layerprune", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Trains deep residual networks and prunes their useless layers while they train "
                + "(concurrent training and layer pruning, Guenter & Sideris 2024).",
        subcommands = {CommandLine.HelpCommand.class},
        synopsisSubcommandLabel = "COMMAND")
public final class Main implements Runnable {
    /** Exit code of a usage error (bad flag or value). */
    public static final int EXIT_USAGE = 2;
    /** Exit code of a failure while running. */
    public static final int EXIT_FAILURE = 1;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
    }

    public static void main(String[] args) {
        // Plots are drawn without a display; slf4j-simple (the CLI's logging backend) shows the
        // library's debug messages with --verbose. Settings given with -D win.
        System.setProperty("java.awt.headless", System.getProperty("java.awt.headless", "true"));
        if (Arrays.asList(args).contains("--verbose")) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel",
                    System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "debug"));
        }
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the CLI in-process and returns its exit code (used by tests). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        boolean terminal = err == System.err && Terminal.stderrIsTerminal();
        return run(args, out, err, terminal);
    }

    static int run(String[] args, PrintStream out, PrintStream err, boolean terminal) {
        boolean debug = Arrays.asList(args).contains("--verbose") || System.getenv("LAYERPRUNE_DEBUG") != null;
        PrintWriter outWriter = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter errWriter = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        CommandLine cl = commandLine(terminal);
        cl.setOut(outWriter);
        cl.setErr(errWriter);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            errWriter.println("layerprune: error: " + oneLine(ex.getMessage()) + " (see '"
                    + c.getCommandSpec().qualifiedName() + " --help')");
            if (debug) {
                ex.printStackTrace(errWriter);
            }
            errWriter.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            errWriter.println("layerprune: error: " + message(ex));
            if (debug) {
                ex.printStackTrace(errWriter);
            }
            errWriter.flush();
            return ex instanceof IllegalArgumentException ? EXIT_USAGE : EXIT_FAILURE;
        });
        int code = cl.execute(args);
        outWriter.flush();
        errWriter.flush();
        return code;
    }

    static CommandLine commandLine(boolean terminal) {
        CommandLine cl = new CommandLine(new Main());
        CommandLine train = new CommandLine(new TrainCommand(terminal));
        train.getCommandSpec().usageMessage().footer(TrainCommand.footer());
        cl.addSubcommand("train", train);
        cl.addSubcommand("estimator-check", new CommandLine(new EstimatorCheckCommand()));
        cl.addSubcommand("experiment", new CommandLine(new ExperimentCommand()));
        cl.addSubcommand("plot", new CommandLine(new PlotCommand()));
        cl.addSubcommand("eval", new CommandLine(new EvalCommand()));
        cl.addSubcommand("inspect", new CommandLine(new InspectCommand()));
        cl.addSubcommand("export", new CommandLine(new ExportCommand()));
        cl.addSubcommand("bench-infer", new CommandLine(new BenchInferCommand()));
        return cl;
    }

    /** The exception's message on one line; its class name if it has none. */
    static String message(Throwable ex) {
        String m = ex.getMessage();
        if (m == null || m.isBlank()) {
            m = ex.getClass().getSimpleName();
        }
        return oneLine(m);
    }

    static String oneLine(String s) {
        return s == null ? "" : s.strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** {@code --version}: the library version as the native core reports it. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() {
            try {
                return new String[] {"layerprune " + Layerprune.version()};
            } catch (RuntimeException | LinkageError e) {
                return new String[] {"layerprune (native library unavailable: " + message(e) + ")"};
            }
        }
    }

    /** Whether stderr is a terminal (Linux: /proc/self/fd/2 points to a tty). */
    static final class Terminal {
        private Terminal() {}

        static boolean stderrIsTerminal() {
            if ("dumb".equals(System.getenv("TERM"))) {
                return false;
            }
            try {
                Path target = Files.readSymbolicLink(Path.of("/proc/self/fd/2"));
                String t = target.toString();
                return t.startsWith("/dev/pts/") || t.startsWith("/dev/tty");
            } catch (Exception e) {
                return System.console() != null;
            }
        }
    }
}
