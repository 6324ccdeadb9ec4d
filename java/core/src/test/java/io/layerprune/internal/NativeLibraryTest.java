package io.layerprune.internal;

import io.layerprune.BuildInfo;
import io.layerprune.LayerpruneException;
import io.layerprune.runtime.Layerprune;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A native library that cannot be loaded is named, with the Maven artifact that provides it. */
class NativeLibraryTest {
    @TempDir
    Path dir;

    @Test
    void coordinatesComeFromTheBuild() {
        // Filtered by Maven: a "${...}" left over would mean the resource was not filtered.
        assertTrue(BuildInfo.nativeJar().matches("io\\.layerprune:layerprune:\\d[^:$]*:linux-x86_64"),
                BuildInfo.nativeJar());
        assertEquals(BuildInfo.nativeJar() + "-gpu", BuildInfo.gpuNativeJar());
        assertTrue(BuildInfo.dnnlJar().matches("org\\.bytedeco:dnnl:3\\.11-1\\.5\\.\\d+:linux-x86_64"),
                BuildInfo.dnnlJar());
    }

    @Test
    void dlopenMessagesNameTheMissingDependency() {
        String dnnl = NativeLibrary.explain(new UnsatisfiedLinkError("/root/.javacpp/cache/x/liblayerprune.so: "
                + "libdnnl.so.3: cannot open shared object file: No such file or directory")).getMessage();
        assertTrue(dnnl.contains("libdnnl.so.3") && dnnl.contains(BuildInfo.dnnlJar()), dnnl);
        assertFalse(dnnl.contains(BuildInfo.nativeJar()), "the dependency, not our jar: " + dnnl);

        String gomp = NativeLibrary.explain(new UnsatisfiedLinkError("/tmp/libdnnl.so.3: libgomp.so.1: cannot "
                + "open shared object file: No such file or directory")).getMessage();
        assertTrue(gomp.contains("libgomp.so.1") && gomp.contains(BuildInfo.dnnlJar()), gomp);

        String ours = NativeLibrary.explain(new UnsatisfiedLinkError("no jnilayerprune in java.library.path: /usr/lib"))
                .getMessage();
        assertTrue(ours.contains("libjnilayerprune.so") && ours.contains(BuildInfo.nativeJar())
                && ours.contains(BuildInfo.gpuNativeJar()), ours);

        String javacpp = NativeLibrary.explain(new UnsatisfiedLinkError("no jnijavacpp in java.library.path"))
                .getMessage();
        assertTrue(javacpp.contains(BuildInfo.javacppJar()), javacpp);

        String cuda = NativeLibrary.explain(new UnsatisfiedLinkError("/c/liblayerprune.so: libcudart.so.12: cannot "
                + "open shared object file")).getMessage();
        assertTrue(cuda.contains("libcudart.so.12") && cuda.contains(BuildInfo.nativeJar()), cuda);
        for (String m : List.of(dnnl, gomp, ours, javacpp, cuda)) {
            assertTrue(m.startsWith("could not load the layerprune native library because "), m);
            assertFalse(m.contains("\n"), m);
        }
    }

    /**
     * A child JVM whose class path lacks our native code (the classes without
     * io/layerprune/bindings/linux-x86_64, no classifier jar): the real JavaCPP failure must
     * come out as a LayerpruneException naming libjnilayerprune and our classifier, twice.
     */
    @Test
    void missingClassifierJarIsNamedByARealLoad() throws Exception {
        Path classes = Path.of(NativeLibrary.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        assertTrue(Files.isDirectory(classes.resolve("io/layerprune/bindings/linux-x86_64")),
                "test expects the native code under " + classes);
        Path stripped = dir.resolve("classes");
        copyWithoutNative(classes, stripped);
        List<String> cp = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (e.isEmpty()) {
                continue;
            }
            Path p = Path.of(e).toAbsolutePath().normalize();
            if (p.equals(classes.toAbsolutePath().normalize())) {
                cp.add(stripped.toString());
            } else if (!p.getFileName().toString().startsWith("layerprune-")) { // no jar of ours
                cp.add(e);
            }
        }
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                // A cache of its own: JavaCPP must not find libraries extracted by earlier runs.
                "-Dorg.bytedeco.javacpp.cachedir=" + dir.resolve("javacpp-cache"), "-Xshare:auto", "-cp",
                String.join(File.pathSeparator, cp), Probe.class.getName());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().filter(l -> l.startsWith("LayerpruneException: ")).toList();
        assertEquals(2, lines.size(), out);
        for (String l : lines) {
            assertTrue(l.contains("libjnilayerprune.so") && l.contains(BuildInfo.nativeJar()), l);
        }
        assertEquals(lines.get(0), lines.get(1), "the second call repeats the explanation");
    }

    private static void copyWithoutNative(Path from, Path to) throws IOException {
        Path skip = from.resolve("io/layerprune/bindings/linux-x86_64");
        try (Stream<Path> s = Files.walk(from)) {
            for (Path src : (Iterable<Path>) s::iterator) {
                if (src.startsWith(skip)) {
                    continue;
                }
                Path dst = to.resolve(from.relativize(src).toString());
                if (Files.isDirectory(src)) {
                    Files.createDirectories(dst);
                } else {
                    Files.copy(src, dst);
                }
            }
        }
    }

    /** Child JVM: the first native call twice; prints each exception on one line. */
    public static final class Probe {
        public static void main(String[] args) {
            for (int i = 0; i < 2; i++) {
                try {
                    System.out.println("loaded: " + Layerprune.version());
                    System.exit(3);
                } catch (LayerpruneException e) {
                    System.out.println("LayerpruneException: " + e.getMessage());
                }
            }
        }
    }
}
