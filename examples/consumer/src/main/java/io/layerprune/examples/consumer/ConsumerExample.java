package io.layerprune.examples.consumer;

import io.layerprune.data.Dataset;
import io.layerprune.data.IdxDataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.runtime.Layerprune;
import io.layerprune.train.PruneEvent;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import io.layerprune.train.TrainingListener;
import io.layerprune.train.TrainingResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Collectors;

/**
 * Trains a small gated residual MLP through layerprune's public API (the io.layerprune:layerprune
 * artifact and its linux-x86_64 jar only) and prints its accuracy and the sections it kept. Data:
 * the first 600 / 300 Fashion-MNIST images when the data set is installed
 * (/usr/share/datasets/fashion-mnist; 60 of the 600 held out for validation), else 800 generated
 * raw samples (4 classes given by the signs of two of 16 features, offset and scaled; also with
 * {@code -Dgenerated=true}), split 80/20 and standardised on the training part. Then it predicts
 * raw features. Exits with status 1 when the accuracy is not clearly above chance, and with an
 * exception's status when anything fails.
 */
public final class ConsumerExample {
    private static final Path FASHION = Path.of("/usr/share/datasets/fashion-mnist");

    private ConsumerExample() {}

    public static void main(String[] args) {
        Layerprune.setThreads(Integer.getInteger("threads", 1));
        boolean fashion = !Boolean.getBoolean("generated") && Files.exists(FASHION.resolve("train-images-idx3-ubyte.gz"));
        IdxDataset.Splits idx = fashion ? IdxDataset.load(FASHION, 600, 300, 10, 0.1, 1) : null;
        Dataset.Split split = fashion ? null : standardised(generated(800, 1));
        try (Dataset train = fashion ? idx.train() : split.train();
                Dataset validation = fashion ? idx.validation() : split.validation();
                Dataset test = fashion ? idx.test() : normalisedLike(generated(400, 2), train);
                Model model = ResidualMlp.builder().inputSize(train.dim()).classes(train.classes()).width(64)
                        .sections(6).seed(1).build();
                Trainer trainer = Trainer.create(model, TrainConfig.defaults().toBuilder()
                        .epochs(8).batchSize(32).lambda(0.01).seed(1).build())) {
            TrainingResult r = trainer.fit(train, validation, test, new TrainingListener() {
                @Override
                public void onPrune(PruneEvent e) {
                    System.out.printf("  section %d pruned at step %d%n", e.section(), e.step());
                }
            });
            String kept = model.sectionStates().stream().filter(s -> !s.pruned())
                    .map(s -> Integer.toString(s.index())).collect(Collectors.joining(", "));
            System.out.printf("layerprune %s on %s: %d training / %d validation / %d test samples%n",
                    Layerprune.version(), train.name(), train.size(), validation.size(), test.size());
            System.out.printf("test accuracy %.4f (deterministic network), sections kept %d of %d: [%s]%n",
                    r.testAccuracy(), r.sectionsKept(), r.sectionsTotal(), kept);
            System.out.printf("parameters %,d -> %,d, training FLOPs %.2f of the unpruned network%n",
                    r.paramsInitial(), r.params(), r.trainingFlopsRatio());
            // The final network is deterministic; it takes raw features (it carries the normalizer):
            // predictions of one sample, as an application would ask.
            float[] logits = model.predict(new float[train.dim()], 1);
            int[] classes = model.classify(new float[2 * train.dim()], 2);
            double chance = 1.0 / train.classes();
            if (!(r.testAccuracy() > 2 * chance) || logits.length != train.classes() || classes.length != 2
                    || model.normalizer().isEmpty()) {
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

    /** {@code raw} normalised like {@code train} (raw is closed). */
    private static Dataset normalisedLike(Dataset raw, Dataset train) {
        try (raw) {
            return raw.normalized(train.normalizer().orElseThrow());
        }
    }

    /** A seeded 80/20 split of {@code all}, standardised with the training part's statistics. */
    private static Dataset.Split standardised(Dataset all) {
        try (all; Dataset.Split raw = all.split(0.2, 1)) {
            return raw.standardized();
        }
    }

    /** {@code n} raw samples of 16 features (offset 100, scale 10); the label is the sign pattern of the first two. */
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
            for (int j = 0; j < dim; j++) {
                x[i * dim + j] = 100 + 10 * x[i * dim + j];
            }
        }
        return Dataset.of("generated", x, y, dim, 4);
    }
}
