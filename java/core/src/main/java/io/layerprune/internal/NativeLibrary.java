package io.layerprune.internal;

import io.layerprune.BuildInfo;
import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import java.util.Locale;
import org.bytedeco.javacpp.Loader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place the native libraries are first loaded (JavaCPP {@link Loader#load(Class)}:
 * libgomp and libdnnl from the oneDNN jar, then liblayerprune and libjnilayerprune from our
 * classifier jar). A failure becomes a {@link LayerpruneException} that names the library that
 * could not be loaded and the Maven artifact that provides it, instead of JavaCPP's bare
 * "no jnilayerprune in java.library.path". The failure is remembered: later calls throw the same
 * explanation rather than a {@code NoClassDefFoundError} of the half-initialised bindings class.
 */
final class NativeLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(NativeLibrary.class);

    private static volatile boolean loaded;
    private static LayerpruneException failure;

    private NativeLibrary() {}

    /** Loads the native libraries once; cheap after the first success. */
    static void ensureLoaded() {
        if (!loaded) {
            loadOnce();
        }
    }

    private static synchronized void loadOnce() {
        if (loaded) {
            return;
        }
        if (failure != null) {
            throw new LayerpruneException(failure.getMessage(), failure);
        }
        try {
            String path = load(LayerpruneNative.class);
            loaded = true;
            LOG.debug("loaded the layerprune native library from {}", path);
        } catch (LayerpruneException e) {
            failure = e;
            throw e;
        }
    }

    /**
     * Loads the JavaCPP-annotated class {@code bindings}'s libraries, translating a failure.
     *
     * @return the path JavaCPP loaded the JNI library from
     * @throws LayerpruneException naming the missing library and the artifact that provides it
     */
    static String load(Class<?> bindings) {
        try {
            return Loader.load(bindings);
        } catch (LinkageError | SecurityException e) { // UnsatisfiedLinkError, NoClassDefFoundError, ...
            throw explain(e);
        }
    }

    /** The exception to throw for a load failure {@code e}: which library, which artifact provides it. */
    static LayerpruneException explain(Throwable e) {
        String detail = details(e);
        String d = detail.toLowerCase(Locale.ROOT);
        String library;
        String provider;
        // dlopen reports "<object being loaded>: <missing dependency>: cannot open shared object file",
        // so the dependencies (dnnl, gomp, CUDA) are matched before our own library names.
        if (d.contains("libdnnl") || d.contains("no dnnl") || d.contains("find dnnl")) {
            library = "libdnnl.so.3 (oneDNN)";
            provider = "add " + BuildInfo.dnnlJar() + " to the class path";
        } else if (d.contains("libgomp") || d.contains("no gomp") || d.contains("find gomp")) {
            library = "libgomp.so.1 (OpenMP runtime)";
            provider = "add " + BuildInfo.dnnlJar() + " to the class path (it ships libgomp too)";
        } else if (d.contains("libcud") || d.contains("libcublas") || d.contains("libnv")) {
            library = firstLibraryName(detail, "a CUDA library");
            provider = "the " + BuildInfo.gpuNativeJar() + " jar needs the NVIDIA driver and CUDA runtime on the "
                    + "machine; on a machine without them use " + BuildInfo.nativeJar() + " instead";
        } else if (d.contains("jnijavacpp")) {
            library = "libjnijavacpp.so (JavaCPP)";
            provider = "add " + BuildInfo.javacppJar() + " to the class path";
        } else {
            library = d.contains("jnilayerprune") ? "libjnilayerprune.so (layerprune JNI bindings)"
                    : d.contains("liblayerprune") || d.contains("no layerprune") || d.contains("find layerprune")
                            ? "liblayerprune.so (layerprune core)"
                            : firstLibraryName(detail, "a native library");
            provider = "add " + BuildInfo.nativeJar() + " (CPU) or " + BuildInfo.gpuNativeJar()
                    + " (GPU) to the class path";
        }
        return new LayerpruneException("could not load the layerprune native library because " + library
                + " could not be loaded: " + provider + " (" + detail + ")", e);
    }

    /** The messages of {@code e} and its causes, on one line. */
    private static String details(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null && sb.length() < 2000; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
            if (sb.indexOf(m) < 0) {
                sb.append(sb.length() == 0 ? "" : "; ").append(m);
            }
        }
        return sb.toString().strip().replaceAll("\\s*\\R\\s*", "; ");
    }

    /** The first {@code libX.so...} in {@code text}, else {@code fallback}. */
    private static String firstLibraryName(String text, String fallback) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("lib[A-Za-z0-9_+-]+\\.so[.0-9]*").matcher(text);
        String last = null;
        // dlopen names the missing dependency last ("a.so: b.so: cannot open ..."): take the last match.
        while (m.find()) {
            last = m.group();
        }
        return last != null ? last : fallback;
    }
}
