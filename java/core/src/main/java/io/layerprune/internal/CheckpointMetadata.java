package io.layerprune.internal;

import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The Java side of a checkpoint, stored as JSON in the native file's {@code metadata} record
 * (format {@value #FORMAT}): the model's size at creation, the progress of training (a JSON tree
 * that {@code io.layerprune.train} writes and reads; null for a model saved alone) and a free-form
 * string of the caller's (the CLI stores its arguments and report there). Also the one native
 * save call, shared by {@code Model.save} and {@code Trainer.save}.
 */
public final class CheckpointMetadata {
    public static final String FORMAT = "layerprune.checkpoint-metadata/1";

    private CheckpointMetadata() {}

    /**
     * The metadata record.
     *
     * @param progress the progress tree, or null for a model saved alone
     * @param user the caller's string, or null
     */
    public record Envelope(String format, long initialParams, double initialFlopsPerSample, Object progress,
            String user) {}

    /** The metadata JSON (the same keys and order as the Jackson-written files of earlier versions). */
    public static String write(long initialParams, double initialFlopsPerSample, Object progress, String user) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("initial_params", initialParams);
        m.put("initial_flops_per_sample", initialFlopsPerSample);
        m.put("progress", progress);
        m.put("user", user);
        return Json.write(m);
    }

    /**
     * Parses and checks the metadata of the checkpoint {@code source}.
     *
     * @throws LayerpruneException naming {@code source} when the JSON is malformed or of another format
     */
    public static Envelope read(String json, String source) {
        Envelope e;
        try {
            e = Json.fromTree(Json.parse(json), Envelope.class, Json.Naming.SNAKE_CASE);
        } catch (Json.JsonException ex) {
            throw new LayerpruneException("could not read " + source + " because its metadata is not valid: "
                    + ex.getMessage(), ex);
        }
        if (e == null || !FORMAT.equals(e.format())) {
            throw new LayerpruneException("could not read " + source + " because its metadata format is '"
                    + (e == null ? null : e.format()) + "', expected '" + FORMAT + "'");
        }
        return e;
    }

    /** Saves a model (and its trainer, or null) with {@code metadata} to {@code file}, atomically. */
    public static void save(LayerpruneNative.Model model, LayerpruneNative.Trainer trainer, String metadata, Path file) {
        Objects.requireNonNull(file, "file");
        String path = file.toAbsolutePath().toString();
        Native.run(() -> LayerpruneNative.checkpoint_save(model, trainer, metadata, path));
    }
}
