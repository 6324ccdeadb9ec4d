package io.layerprune.bindings.presets;

import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.javacpp.tools.Info;
import org.bytedeco.javacpp.tools.InfoMap;
import org.bytedeco.javacpp.tools.InfoMapper;

/**
 * JavaCPP preset for the layerprune C API (native/include/layerprune/types.h: the plain types and constants,
 * which api.h includes; api.h; api_io.h: the data
 * file parsers; api_checkpoint.h; api_export.h; api_data.h: normalisation, data-set statistics and subsets).
 *
 * <p>The Maven build parses api.h with this class (goal {@code parse}, phase generate-sources) into
 * {@code io.layerprune.bindings.LayerpruneNative} and then compiles {@code libjnilayerprune.so}
 * (goal {@code build}, phase process-classes), which links {@code liblayerprune.so} built by CMake.
 *
 * <p>Load order at run time (JavaCPP {@code Loader.load}): the preloads {@code libgomp.so.1} and
 * {@code libdnnl.so.3}, taken from the {@code org.bytedeco:dnnl} linux-x86_64 jar on the class path
 * ({@code preloadresource}), then {@code liblayerprune.so} and {@code libjnilayerprune.so} from our
 * own linux-x86_64 jar. liblayerprune.so finds libdnnl/libgomp by soname because they are already
 * loaded, so oneDNN (90 MB) is not copied into our jar. The same holds for linux-arm64 (cross-built with
 * {@code -Djavacpp.platform=linux-arm64}), with the dnnl linux-arm64 jar.
 */
@Properties(
    target = "io.layerprune.bindings.LayerpruneNative",
    value = @Platform(
        value = {"linux-x86_64", "linux-arm64"},
        compiler = "cpp17",
        include = {"layerprune/types.h", "layerprune/api.h", "layerprune/api_io.h", "layerprune/api_checkpoint.h", "layerprune/api_export.h",
            "layerprune/api_data.h"},
        library = "jnilayerprune",
        link = "layerprune",
        // Trailing "##": Builder's copyLibs skips them (without it, it copies the system libgomp
        // into our jar); Loader still preloads them ("#" alone would disable preloading too).
        preload = {"gomp@.1##", "dnnl@.3##"},
        preloadresource = "/org/bytedeco/dnnl/"))
public class LayerpruneConfig implements InfoMapper {
    @Override
    public void map(InfoMap infoMap) {
        // const char* results (version()) come back as java.lang.String; BytePointer stays available.
        infoMap.put(new Info("const char").pointerTypes("String", "@Cast(\"const char*\") BytePointer"));
        // Opaque handles: forward-declared only, so they become @Opaque Pointer subclasses.
        infoMap.put(new Info("layerprune::Dataset").pointerTypes("Dataset"));
        infoMap.put(new Info("layerprune::Model").pointerTypes("Model"));
        infoMap.put(new Info("layerprune::Trainer").pointerTypes("Trainer"));
        infoMap.put(new Info("layerprune::ExportedModel").pointerTypes("ExportedModel"));
        infoMap.put(new Info("layerprune::ContainerFile").pointerTypes("ContainerFile"));
    }
}
