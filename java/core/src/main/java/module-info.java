/**
 * layerprune: trains residual networks and prunes their layers while they train. The API is in
 * the exported packages; {@code io.layerprune.internal} (the native glue) and the generated
 * bindings {@code io.layerprune.bindings} are not exported. The library is used from the class
 * path (the module descriptor then only documents the layering); its native code comes in the
 * {@code linux-x86_64} (or {@code linux-x86_64-gpu}) classifier jar.
 */
module io.layerprune {
    requires org.bytedeco.javacpp;
    requires org.slf4j;

    exports io.layerprune;
    exports io.layerprune.runtime;
    exports io.layerprune.data;
    exports io.layerprune.model;
    exports io.layerprune.model.zoo;
    exports io.layerprune.train;
    exports io.layerprune.checkpoint;
    exports io.layerprune.inference;

    // JavaCPP's Loader reads the presets' annotations and the generated class reflectively.
    opens io.layerprune.bindings to org.bytedeco.javacpp;
    opens io.layerprune.bindings.presets to org.bytedeco.javacpp;
}
