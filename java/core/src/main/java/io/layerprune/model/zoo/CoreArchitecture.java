package io.layerprune.model.zoo;

import io.layerprune.LayerpruneException;
import io.layerprune.internal.Native;
import io.layerprune.model.Architecture;
import java.util.function.Supplier;

/**
 * The native core's description of a preset's spec (the {@code architecture_*} calls of the C API:
 * the description its {@code model_create_*} builds). The presets read their section counts, stem
 * widths and families from it and validate through it, so those facts live once, in the core.
 */
final class CoreArchitecture {
    private CoreArchitecture() {}

    /**
     * The description a native call returns.
     *
     * @throws IllegalArgumentException with the core's message for sizes the preset cannot take
     */
    static Architecture of(Supplier<String> nativeCall) {
        String json;
        try {
            json = Native.call(nativeCall);
        } catch (LayerpruneException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
        return Architecture.fromJson(json);
    }
}
