package io.layerprune.examples.platform;

import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.PruningRule;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingResult;
import java.util.Random;

/**
 * Trains a small gated residual MLP through io.layerprune:layerprune-platform on whatever platform this JVM is
 * (linux-x86_64 natively; linux-arm64 on an arm64 JVM, here under qemu-aarch64) and prints the platform, the
 * accuracy and the sections kept. Data: 800 generated raw samples (16 features, offset 100, scale 10; 4 classes
 * given by the signs of the first two), split 80/20 and standardised on the training part. Exits with status 1
 * when the accuracy is not above twice chance.
 */
public final class PlatformExample {
    private PlatformExample() {}

    public static void main(String[] args) {
        Layerprune.setThreads(1);
        int dim = 16;
        try (Dataset all = generated(800, dim); Dataset.Split raw = all.split(0.2, 1)) {
            Dataset.Split split = raw.standardized();
            try (split;
                    Model model = ResidualMlp.builder().inputSize(dim).classes(4).width(64).sections(6).seed(1).build();
                    Trainer trainer = Trainer.create(model, TrainConfig.builder().epochs(8).batchSize(32).lambda(0.1)
                            .etaTheta(0.5).patience(2).pruningRule(PruningRule.PLAIN).seed(1).build())) {
                TrainingResult r = trainer.fit(split.train(), split.validation());
                System.out.printf("layerprune %s on %s (os.arch %s): validation accuracy %.4f, sections kept %d of %d%n",
                        Layerprune.version(), org.bytedeco.javacpp.Loader.getPlatform(), System.getProperty("os.arch"),
                        r.validationAccuracy(), r.sectionsKept(), r.sectionsTotal());
                if (!(r.validationAccuracy() > 0.5)) {
                    System.err.println("platform example FAILED: accuracy not above twice chance");
                    System.exit(1);
                }
                System.out.println("platform example OK");
            }
        }
    }

    private static Dataset generated(int n, int dim) {
        float[] x = new float[n * dim];
        int[] y = new int[n];
        Random rng = new Random(1);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = (float) rng.nextGaussian();
            }
            y[i] = (x[i * dim] > 0 ? 1 : 0) + (x[i * dim + 1] > 0 ? 2 : 0);
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = 100 + 10 * x[i * dim + j];
            }
        }
        return Dataset.of("generated", x, y, dim, 4);
    }
}
