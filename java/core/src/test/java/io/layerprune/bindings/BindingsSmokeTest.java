package io.layerprune.bindings;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.bytedeco.javacpp.Loader;
import org.junit.jupiter.api.Test;

/** Checks the build chain: JNI library loads (libgomp, libdnnl, liblayerprune, libjnilayerprune) and C++ exceptions cross JNI. */
class BindingsSmokeTest {

    @Test
    void loadsAndReportsVersion() {
        assertNotNull(Loader.load(LayerpruneNative.class));
        String version = LayerpruneNative.version();
        assertNotNull(version);
        assertFalse(version.isEmpty());
    }

    @Test
    void nativeExceptionBecomesRuntimeException() {
        // input_size = 0 is invalid: the real implementation rejects it, the skeleton throws anyway.
        try (LayerpruneNative.MlpSpec spec = new LayerpruneNative.MlpSpec()) {
            spec.input_size(0).width(8).sections(1).classes(2).seed(1);
            RuntimeException e = assertThrows(RuntimeException.class, () -> LayerpruneNative.model_create_mlp(spec));
            assertNotNull(e.getMessage());
            assertFalse(e.getMessage().isEmpty());
        }
        // The JVM and the library are still usable afterwards.
        assertTrue(LayerpruneNative.version().length() > 0);
    }
}
