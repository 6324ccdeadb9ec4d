package io.layerprune.plot;

import io.layerprune.LayerpruneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the plots of one or more runs as PNG files, without a display ({@code java.awt.headless}
 * is set to true unless the application chose otherwise).
 *
 * <p>File names, for a report {@code <stem>.json} with label {@code <stem>}: per run
 * {@code <label>-theta.png}, {@code <label>-params.png}, {@code <label>-training-flops.png}; the
 * survivors histogram is {@code <label>-survivors.png} for one report and {@code survivors.png}
 * for several. Labels that would collide (two {@code report.json} in different folders) become
 * {@code <folder>-<stem>}, then get {@code -2}, {@code -3}, ... appended.
 */
public final class PlotWriter {
    /** Width of every PNG in pixels. */
    public static final int WIDTH = 1000;
    /** Height of every PNG in pixels. */
    public static final int HEIGHT = 620;

    private static final Logger LOG = LoggerFactory.getLogger(PlotWriter.class);

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
    }

    private PlotWriter() {}

    /**
     * Plots every report into {@code outDir} (created if missing): the per-run charts of each,
     * and the survivors histogram over those that finished.
     *
     * @return the files written, in order
     * @throws LayerpruneException one line naming the report and the problem (missing, not a
     *     report, nothing to plot) or the file that could not be written
     */
    public static List<Path> plot(List<Path> reports, Path outDir) {
        if (reports.isEmpty()) {
            throw new IllegalArgumentException("no report to plot");
        }
        List<RunData> runs = new ArrayList<>();
        for (Path r : reports) {
            runs.add(RunData.load(r));
        }
        List<String> labels = labels(reports);
        List<Path> written = new ArrayList<>();
        for (int i = 0; i < runs.size(); i++) {
            written.addAll(writeRun(runs.get(i), outDir, labels.get(i)));
        }
        List<RunData> finished = runs.stream().filter(r -> r.survived() != null).toList();
        for (RunData r : runs) {
            if (r.survived() == null) {
                LOG.warn("{} has no final result (unfinished run): left out of the survivors histogram", r.report());
            }
        }
        if (!finished.isEmpty()) {
            String name = runs.size() == 1 ? labels.get(0) + "-survivors.png" : "survivors.png";
            written.add(write(Charts.survivors(finished), outDir.resolve(name)));
        }
        return written;
    }

    /** The per-run charts of {@code run} as {@code <label>-theta.png} etc. in {@code outDir}. */
    public static List<Path> writeRun(RunData run, Path outDir, String label) {
        return List.of(write(Charts.theta(run), outDir.resolve(label + "-theta.png")),
                write(Charts.params(run), outDir.resolve(label + "-params.png")),
                write(Charts.trainingLoad(run), outDir.resolve(label + "-training-flops.png")));
    }

    /** Writes {@code chart} as a {@link #WIDTH} x {@link #HEIGHT} PNG. */
    public static Path write(JFreeChart chart, Path file) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            ChartUtils.saveChartAsPNG(file.toFile(), chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new LayerpruneException("could not write the plot " + file + ": " + e.getMessage(), e);
        }
        LOG.debug("wrote {}", file);
        return file;
    }

    /** Unique file-name labels for the reports (see the class comment). */
    static List<String> labels(List<Path> reports) {
        List<String> stems = new ArrayList<>();
        Map<String, Integer> count = new HashMap<>();
        for (Path p : reports) {
            String stem = stem(p);
            stems.add(stem);
            count.merge(stem, 1, Integer::sum);
        }
        List<String> labels = new ArrayList<>();
        Set<String> used = new HashSet<>();
        for (int i = 0; i < reports.size(); i++) {
            String label = stems.get(i);
            Path parent = reports.get(i).toAbsolutePath().normalize().getParent();
            if (count.get(label) > 1 && parent != null && parent.getFileName() != null) {
                label = parent.getFileName() + "-" + label;
            }
            String unique = label;
            for (int k = 2; !used.add(unique); k++) {
                unique = label + "-" + k;
            }
            labels.add(unique);
        }
        return labels;
    }

    private static String stem(Path report) {
        String name = report.getFileName().toString();
        return name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
    }
}
