package io.layerprune.cli;

import io.layerprune.data.CifarDataset;
import io.layerprune.data.Dataset;
import io.layerprune.data.IdxDataset;
import io.layerprune.data.Normalizer;
import java.nio.file.Path;

/**
 * The training, validation and test sets of a {@code --data} folder, loaded the way {@code train}
 * loads them (CIFAR-10 when {@code data_batch_1.bin} is there, else MNIST-format IDX), with the
 * normalisation computed from the training images used (the validation images held out first):
 * {@code eval} reproduces the training run's test set.
 *
 * @param validation null when no validation images were held out
 */
record DataSplits(Dataset train, Dataset validation, Dataset test, String name, double[] mean, double[] std,
        Normalizer normalizer, AutoCloseable owner) implements AutoCloseable {
    static DataSplits load(Path folder, int trainLimit, int testLimit, int classes, double validationFraction,
            long seed) {
        if (CifarDataset.isCifarFolder(folder)) {
            CifarDataset.Splits s = CifarDataset.load(folder, trainLimit, testLimit, validationFraction, seed);
            return new DataSplits(s.train(), s.validation(), s.test(), CifarDataset.NAME, s.mean(), s.std(),
                    s.normalizer(), s);
        }
        IdxDataset.Splits s = IdxDataset.load(folder, trainLimit, testLimit, classes, validationFraction, seed);
        Path n = folder.toAbsolutePath().normalize().getFileName();
        return new DataSplits(s.train(), s.validation(), s.test(), n == null ? "dataset" : n.toString(),
                new double[] {s.mean()}, new double[] {s.std()}, s.normalizer(), s);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("could not close the data sets: " + e.getMessage(), e);
        }
    }
}
