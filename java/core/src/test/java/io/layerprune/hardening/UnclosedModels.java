package io.layerprune.hardening;

import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child JVM of {@link UnclosedModelsTest}: builds {@code args[0]} models of the main job's size
 * (784 -> 256 x 12 sections -> 10, about 3.3 MB of weights each), predicts once with each and
 * never closes one. Prints "rss N KB" after every model, from /proc/self/status.
 */
public final class UnclosedModels {
    private UnclosedModels() {}

    public static void main(String[] args) throws IOException {
        Layerprune.setThreads(1);
        int count = Integer.parseInt(args[0]);
        float[] x = new float[784];
        for (int i = 0; i < count; i++) {
            Model m = ResidualMlp.builder().inputSize(784).classes(10).width(256).sections(12).seed(i).build();
            m.predict(x, 1);
            // Freed chunks that malloc keeps in its arenas are not memory the library holds: return
            // them before reading VmRSS (NativeMemoryTest measured up to 5 % of such noise).
            NativeHeap.trim();
            System.out.println("rss " + rssKb());
        }
        System.out.flush();
    }

    static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IOException("no VmRSS in /proc/self/status");
    }
}
