package io.layerprune.cli;

import io.layerprune.checkpoint.Checkpoint;
import io.layerprune.DataException;
import io.layerprune.inference.ExportedModel;
import io.layerprune.model.Model;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * What a FILE argument of {@code export}/{@code bench-infer} holds, from its 8-byte magic:
 * a checkpoint ({@code LPCKPT..}, written by {@code train --save}) or an exported network
 * ({@code LPEXPORT}, written by {@code export} or {@code train --export}).
 */
enum ModelFile {
    CHECKPOINT, EXPORTED;

    static ModelFile of(Path file) {
        byte[] magic = new byte[8];
        int n;
        try (InputStream in = Files.newInputStream(file)) {
            n = in.readNBytes(magic, 0, 8);
        } catch (NoSuchFileException e) {
            throw new DataException("could not read " + file + " because it does not exist");
        } catch (IOException e) {
            throw new DataException("could not read " + file + " because " + e.getMessage(), e);
        }
        String m = new String(magic, 0, n, StandardCharsets.ISO_8859_1);
        if (m.equals("LPEXPORT")) {
            return EXPORTED;
        }
        if (m.startsWith("LPCKPT")) {
            return CHECKPOINT;
        }
        throw new DataException("could not read " + file
                + " because it is neither a layerprune checkpoint nor an exported network (unknown magic)");
    }

    /**
     * The exported network of FILE: read as is, or built from the checkpoint's deterministic network.
     */
    static ExportedModel exported(Path file) {
        return switch (of(file)) {
            case EXPORTED -> ExportedModel.load(file);
            case CHECKPOINT -> {
                try (Model model = Checkpoint.loadModel(file)) {
                    yield ExportedModel.of(model);
                }
            }
        };
    }
}
