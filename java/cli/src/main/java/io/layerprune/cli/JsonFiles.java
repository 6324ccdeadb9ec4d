package io.layerprune.cli;

import io.layerprune.report.ReportWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes the commands' {@code --out}/{@code --json} results: one JSON document, folders created as needed. */
final class JsonFiles {
    private JsonFiles() {}

    /** {@code json} in the reports' style (snake_case, indented) and a final newline, to {@code file}. */
    static void write(Path file, Object json) {
        try {
            Path dir = file.toAbsolutePath().getParent();
            if (dir != null) {
                Files.createDirectories(dir);
            }
            Files.writeString(file, ReportWriter.mapper().writeValueAsString(json) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + file + ": " + e.getMessage(), e);
        }
    }
}
