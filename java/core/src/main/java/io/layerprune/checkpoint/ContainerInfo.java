package io.layerprune.checkpoint;

import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Json;
import io.layerprune.internal.Native;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The header and record list of any layerprune container file (checkpoints, magic
 * {@code LPCKPT01}; exported models): what {@code layerprune inspect} shows. Reading it validates
 * the whole file (structure and checksum).
 *
 * @param records every record in file order; {@code value} is set for numbers, {@code length} for arrays
 */
public record ContainerInfo(String magic, long formatVersion, String libraryVersion, long fileBytes,
        List<Record> records) {
    /** Magic of checkpoint files. */
    public static final String CHECKPOINT_MAGIC = "LPCKPT01";

    /** One named, typed record. */
    public record Record(String name, String type, long bytes, Double value, Long length) {}

    /** Whether this is a checkpoint. */
    public boolean isCheckpoint() {
        return CHECKPOINT_MAGIC.equals(magic);
    }

    /** The numeric record {@code name}, or null. */
    public Double value(String name) {
        return records.stream().filter(r -> r.name().equals(name)).map(Record::value).filter(Objects::nonNull)
                .findFirst().orElse(null);
    }

    /**
     * Reads and validates {@code file}.
     *
     * @throws LayerpruneException naming the problem for a missing, truncated, corrupt or foreign file
     */
    public static ContainerInfo read(Path file) {
        Objects.requireNonNull(file, "file");
        String path = file.toAbsolutePath().toString();
        LayerpruneNative.ContainerFile f = Native.call(() -> LayerpruneNative.container_read(path));
        try {
            String json = Native.call(() -> LayerpruneNative.container_summary(f));
            return Json.fromTree(Json.parse(json), ContainerInfo.class, Json.Naming.SNAKE_CASE);
        } catch (Json.JsonException e) {
            throw new LayerpruneException("could not describe " + path + ": " + e.getMessage(), e);
        } finally {
            LayerpruneNative.container_destroy(f);
        }
    }
}
