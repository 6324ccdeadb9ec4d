package io.layerprune.examples.consumer;

import io.layerprune.Dataset;
import io.layerprune.EvalMode;
import io.layerprune.IdxDataset;
import io.layerprune.Layerprune;
import io.layerprune.Model;
import io.layerprune.PruneEvent;
import io.layerprune.ResidualMlp;
import io.layerprune.TrainConfig;
import io.layerprune.Trainer;
import io.layerprune.TrainingListener;
import io.layerprune.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Trains a small gated residual MLP through layerprune's public API and prints its accuracy and
 * the sections it kept. Data: the first 600 / 300 Fashion-MNIST images when the data set is
 * installed (/usr/share/datasets/fashion-mnist), else 800 generated samples (4 classes given by the
 * signs of two of 16 features; also with {@code -Dgenerated=true}). Exits with status 1 when the
 * accuracy is not clearly above chance, and with an exception's status when anything fails.
 */
public final class ConsumerExample {
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    private ConsumerExample() {}

    public static void main(String[] args) {
        Layerprune.setThreads(Integer.getInteger("threads", 1));
        boolean fashion = !Boolean.getBoolean("generated") && Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz"));
        IdxDataset.Splits idx = fashion ? IdxDataset.load(FASHION, 600, 300, 10) : null;
        try (Dataset train = fashion ? idx.train() : generated(800, 1);
                Dataset test = fashion ? idx.test() : generated(400, 2);
                Model model = ResidualMlp.builder().inputSize(train.dim()).width(64).sections(6)
                        .classes(train.classes()).seed(1).build();
                Trainer trainer = Trainer.create(model, TrainConfig.defaults().toBuilder()
                        .epochs(8).batchSize(32).lambda(0.01).seed(1).build())) {
            TrainingResult r = trainer.fit(train, test, new TrainingListener() {
                @Override
                public void onPrune(PruneEvent e) {
                    System.out.printf("  section %d pruned at step %d%n", e.section(), e.step());
                }
            });
            String kept = model.sectionStates().stream().filter(s -> !s.pruned())
                    .map(s -> Integer.toString(s.index())).collect(Collectors.joining(", "));
            System.out.printf("layerprune %s on %s: %d training / %d test samples%n", Layerprune.version(),
                    train.name(), train.size(), test.size());
            System.out.printf("test accuracy %.4f (deterministic network), sections kept %d of %d: [%s]%n",
                    r.testAccuracy(), r.sectionsKept(), r.sectionsTotal(), kept);
            System.out.printf("parameters %,d -> %,d, training FLOPs %.2f of the unpruned network%n",
                    r.paramsInitial(), r.params(), r.trainingFlopsRatio());
            // The final network is deterministic: predictions of one sample, as an application would ask.
            float[] logits = model.predict(new float[train.dim()], 1, EvalMode.DETERMINISTIC);
            double chance = 1.0 / train.classes();
            if (!(r.testAccuracy() > 2 * chance) || logits.length != train.classes()) {
                System.err.printf("consumer example FAILED: accuracy %.4f is not above twice chance (%.2f)%n",
                        r.testAccuracy(), 2 * chance);
                System.exit(1);
            }
            System.out.println("consumer example OK");
        } finally {
            if (idx != null) {
                idx.close();
            }
        }
    }

    /** {@code n} samples of 16 Gaussian features; the label is the sign pattern of the first two. */
    private static Dataset generated(int n, long seed) {
        int dim = 16;
        float[] x = new float[n * dim];
        int[] y = new int[n];
        Random rng = new Random(seed);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = (float) rng.nextGaussian();
            }
            y[i] = (x[i * dim] > 0 ? 1 : 0) + (x[i * dim + 1] > 0 ? 2 : 0);
        }
        return Dataset.of("generated", x, y, dim, 4);
    }
}
