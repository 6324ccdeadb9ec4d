package io.layerprune.checkpoint;

import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import java.nio.file.Path;

/**
 * Child process of {@link KilledSaveTest}: saves a model to the same file in a loop, printing
 * "saving N" before and "saved N" after each, until it is killed. Each save changes one theta so every file
 * differs; {@link #stateAt} rebuilds the model exactly as it was at save N, so the test can check a
 * surviving file's content against it.
 */
public final class SaveLoop {
    private SaveLoop() {}

    /** The model of the loop before its first save: 784 -> 256, 12 sections, seed 1 (1.6 M weights, ~14 MB saved). */
    static Model initial() {
        return ResidualMlp.builder().inputSize(784).width(256).sections(12).classes(10).seed(1).build();
    }

    /** What the loop changes before save {@code i}: one theta, so consecutive saves differ. */
    static void step(Model m, long i) {
        m.setTheta((int) (i % 12), (i % 100) / 100.0);
    }

    /** The model as it was saved by save {@code generation}. */
    static Model stateAt(long generation) {
        Model m = initial();
        for (long i = 1; i <= generation; i++) {
            step(m, i);
        }
        return m;
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        Layerprune.setThreads(1);
        try (Model m = initial()) {
            for (long i = 1; ; i++) {
                step(m, i);
                System.out.println("saving " + i);
                System.out.flush();
                m.save(file);
                System.out.println("saved " + i);
                System.out.flush();
            }
        }
    }
}
