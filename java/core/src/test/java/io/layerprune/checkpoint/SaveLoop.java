package io.layerprune.checkpoint;

import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import java.nio.file.Path;

/**
 * Child process of {@link KilledSaveTest}: saves a model to the same file in a loop, printing
 * "saving N" before and "saved N" after each, until it is killed. Each save changes one theta so every file differs.
 */
public final class SaveLoop {
    private SaveLoop() {}

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        Layerprune.setThreads(1);
        // 784 -> 256, 12 sections: 1.6 M weights, ~13 MB with momentum; a save takes milliseconds.
        try (Model m = ResidualMlp.builder().inputSize(784).width(256).sections(12).classes(10).seed(1).build()) {
            for (long i = 1; ; i++) {
                m.setTheta((int) (i % 12), (i % 100) / 100.0);
                System.out.println("saving " + i);
                System.out.flush();
                m.save(file);
                System.out.println("saved " + i);
                System.out.flush();
            }
        }
    }
}
