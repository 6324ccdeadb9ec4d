package io.layerprune.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/** Writes and reads {@link Report}s as JSON. Writes are atomic: a temporary file in the same folder, then a rename. */
public final class ReportWriter {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {}

    /** The mapper used for reports (snake_case, indented). */
    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** Serialises a report. */
    public static String toJson(Report report) {
        try {
            return MAPPER.writeValueAsString(report);
        } catch (IOException e) {
            throw new UncheckedIOException("could not serialise the report: " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code report} to {@code file} atomically, creating missing parent folders: readers
     * see either the old file or the complete new one.
     */
    public static void write(Report report, Path file) {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        byte[] bytes = (toJson(report) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the report to " + file + ": " + e.getMessage(), e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // best effort
                }
            }
        }
    }
}
