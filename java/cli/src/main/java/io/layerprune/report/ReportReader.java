package io.layerprune.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.layerprune.LayerpruneException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads {@link Report}s written by {@link ReportWriter}. Keys this version does not know are
 * ignored (reports of newer versions, or with sections other tools added, still read); a file
 * that is missing, not JSON or not a {@code layerprune.report/*} document raises a
 * {@link LayerpruneException} with a one-line message naming the file and the problem.
 */
public final class ReportReader {
    private static final ObjectMapper MAPPER = ReportWriter.mapper().copy()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ReportReader() {}

    /** Reads the report in {@code file}. */
    public static Report read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new LayerpruneException(file + ": no such file (expected a layerprune JSON report)");
        } catch (IOException e) {
            throw new LayerpruneException(file + ": could not read the report: " + e.getMessage(), e);
        }
        JsonNode tree;
        try {
            tree = MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new LayerpruneException(file + ": not a layerprune report (not valid JSON: "
                    + e.getOriginalMessage() + ")", e);
        } catch (IOException e) {
            throw new LayerpruneException(file + ": could not read the report: " + e.getMessage(), e);
        }
        JsonNode schema = tree == null ? null : tree.get("schema");
        if (schema == null || !schema.isTextual() || !schema.asText().startsWith("layerprune.report/")) {
            throw new LayerpruneException(file + ": not a layerprune report (no \"schema\": \"" + Report.SCHEMA + "\")");
        }
        if (!schema.asText().equals(Report.SCHEMA) && !schema.asText().equals(Report.SCHEMA_1)) {
            throw new LayerpruneException(file + ": report schema " + schema.asText() + " is not supported (this version "
                    + "reads " + Report.SCHEMA + " and " + Report.SCHEMA_1 + ")");
        }
        try {
            return MAPPER.treeToValue(tree, Report.class);
        } catch (JsonProcessingException e) {
            throw new LayerpruneException(file + ": malformed layerprune report: " + e.getOriginalMessage(), e);
        }
    }
}
