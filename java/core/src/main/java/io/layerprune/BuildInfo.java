package io.layerprune;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The Maven coordinates this jar was built with (from {@code io/layerprune/build.properties},
 * filled in by resource filtering), so messages can name the exact artifact to add. Falls back to
 * "unknown" fields when the resource is missing (e.g. classes compiled outside Maven).
 */
public final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    /** Version of the layerprune artifact, e.g. {@code 0.1.0-SNAPSHOT}. */
    public static String version() {
        return get("version", "<version>");
    }

    /** {@code groupId:artifactId} of the layerprune artifact. */
    public static String artifact() {
        return get("group", "io.layerprune") + ":" + get("artifact", "layerprune");
    }

    /**
     * The native classifier of the CPU build for the platform this JVM runs on, as JavaCPP names it: {@code
     * linux-x86_64} or {@code linux-arm64}. Taken at run time, not from the build: the main jar is the same for
     * every platform (the linux-arm64 cross build, {@code -Djavacpp.platform=linux-arm64}, shares its classes).
     */
    public static String platform() {
        try {
            return org.bytedeco.javacpp.Loader.getPlatform();
        } catch (LinkageError e) {
            return "linux-x86_64";
        }
    }

    /** Coordinates of the jar with our CPU native code, e.g. {@code io.layerprune:layerprune:V:linux-x86_64}. */
    public static String nativeJar() {
        return artifact() + ":" + version() + ":" + platform();
    }

    /** Coordinates of the jar with our GPU native code ({@code -Pgpu} build). */
    public static String gpuNativeJar() {
        return nativeJar() + "-gpu";
    }

    /** Coordinates of the oneDNN jar that ships libdnnl.so.3 and libgomp.so.1. */
    public static String dnnlJar() {
        return "org.bytedeco:dnnl:" + get("dnnl.version", "3.11-1.5.13") + ":" + platform();
    }

    /** Coordinates of JavaCPP's own native jar (libjnijavacpp.so). */
    public static String javacppJar() {
        return "org.bytedeco:javacpp:" + get("javacpp.version", "1.5.13") + ":" + platform();
    }

    private static String get(String key, String fallback) {
        String v = PROPS.getProperty(key);
        // An unfiltered file (built outside Maven) still holds "${...}".
        return v == null || v.isBlank() || v.startsWith("${") ? fallback : v;
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall back to the defaults above
        }
        return p;
    }
}
