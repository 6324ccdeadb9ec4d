package io.layerprune.report;

import io.layerprune.LayerpruneException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-step CSV written next to a JSON report by {@link StepCsvWriter}: where it lives, its
 * columns, and a reader for it.
 *
 * <p>Columns, in order: {@link #FIXED_COLUMNS}, then {@code theta_0 .. theta_{L-1}}, then
 * {@code tau_0 .. tau_{L-1}}. Numbers are plain decimals ({@code Double.toString}); a number that
 * does not exist (the loss of step 0) is an empty field. Row 1 is step 0, the state before the
 * first step.
 */
public final class StepCsv {
    /** The columns before the per-section theta and tau columns. */
    public static final List<String> FIXED_COLUMNS = List.of("step", "epoch", "batch", "loss", "accuracy", "eta_w",
            "grad_norm", "live_sections", "pruned_sections", "pruned_this_step", "params", "flops_per_sample",
            "cumulative_training_flops", "cumulative_training_flops_unpruned", "seconds");

    private StepCsv() {}

    /**
     * Where the steps CSV of {@code report} lives: the same name with {@code .json} replaced by
     * {@code .steps.csv} ({@code runs/x/report.json -> runs/x/report.steps.csv}); a name without
     * {@code .json} gets {@code .steps.csv} appended.
     */
    public static Path pathFor(Path report) {
        String name = report.getFileName().toString();
        String stem = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return report.resolveSibling(stem + ".steps.csv");
    }

    /** The header for {@code sections} sections. */
    static List<String> header(int sections) {
        List<String> h = new ArrayList<>(FIXED_COLUMNS);
        for (int i = 0; i < sections; i++) {
            h.add("theta_" + i);
        }
        for (int i = 0; i < sections; i++) {
            h.add("tau_" + i);
        }
        return h;
    }

    /**
     * A steps CSV read back: one array per column, rows in file order.
     *
     * @param sections L, from the theta_i columns
     */
    public record Table(Path file, List<String> columns, double[][] values, int sections) {
        /** Rows read. */
        public int rows() {
            return values.length == 0 ? 0 : values[0].length;
        }

        /** The column named {@code name} (NaN for empty fields). */
        public double[] column(String name) {
            int i = columns.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException(file + " has no column " + name);
            }
            return values[i];
        }

        /** theta of section {@code section} at every row. */
        public double[] theta(int section) {
            return column("theta_" + section);
        }
    }

    /**
     * Reads a steps CSV.
     *
     * @throws LayerpruneException with a one-line message for a missing, empty or malformed file
     */
    public static Table read(Path file) {
        List<String> lines;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            lines = r.lines().filter(l -> !l.isBlank()).toList();
        } catch (NoSuchFileException e) {
            throw new LayerpruneException(file + ": no such file (expected a layerprune steps CSV)");
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new LayerpruneException(file + ": could not read the steps CSV: " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new LayerpruneException(file + ": empty steps CSV (no header)");
        }
        List<String> columns = Arrays.asList(lines.get(0).split(",", -1));
        if (!columns.subList(0, Math.min(columns.size(), FIXED_COLUMNS.size())).equals(FIXED_COLUMNS)) {
            throw new LayerpruneException(file + ": not a layerprune steps CSV (header must start with "
                    + String.join(",", FIXED_COLUMNS.subList(0, 3)) + ",...)");
        }
        int sections = (int) columns.stream().filter(c -> c.startsWith("theta_")).count();
        Map<String, Integer> seen = new HashMap<>();
        for (String c : columns) {
            if (seen.put(c, 1) != null) {
                throw new LayerpruneException(file + ": column " + c + " appears twice");
            }
        }
        int rows = lines.size() - 1;
        double[][] values = new double[columns.size()][rows];
        for (int r = 0; r < rows; r++) {
            String[] f = lines.get(r + 1).split(",", -1);
            if (f.length != columns.size()) {
                throw new LayerpruneException(file + ": line " + (r + 2) + " has " + f.length + " fields, the header "
                        + columns.size());
            }
            for (int c = 0; c < f.length; c++) {
                try {
                    values[c][r] = f[c].isEmpty() ? Double.NaN : Double.parseDouble(f[c]);
                } catch (NumberFormatException e) {
                    throw new LayerpruneException(file + ": line " + (r + 2) + ", column " + columns.get(c)
                            + ": not a number: '" + f[c] + "'");
                }
            }
        }
        return new Table(file, List.copyOf(columns), values, sections);
    }
}
