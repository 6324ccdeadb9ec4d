package io.layerprune;

import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.zoo.ResidualMlp;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.util.Random;

/**
 * A tabular problem in raw units far from standardised: features 0-3 carry the class (Gaussian
 * blobs) at a scale of 0.001 on offsets of 1000 d, features 4-7 are noise of scale 500 on the same
 * kind of offsets. Easy once standardised, hard in raw units, where the noise dwarfs the signal.
 * For the tests of raw-feature prediction (issue 13 item 6) in the core and the ONNX module.
 *
 * @param features one row of raw features per sample
 */
public record TabularData(float[][] features, int[] labels, int classes) {
    public static final int DIM = 8;

    public static TabularData blobs(int n, int classes, long seed) {
        Random r = new Random(seed);
        Random centres = new Random(1234);  // the same classes for every seed
        double[][] mu = new double[classes][DIM];
        for (double[] m : mu) {
            for (int d = 0; d < DIM; d++) {
                m[d] = 1.5 * centres.nextGaussian();
            }
        }
        float[][] x = new float[n][DIM];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
            for (int d = 0; d < DIM; d++) {
                double v = d < DIM / 2 ? 0.001 * (mu[y[i]][d] + 0.5 * r.nextGaussian()) : 500 * r.nextGaussian();
                x[i][d] = (float) (1000.0 * d + v);
            }
        }
        return new TabularData(x, y, classes);
    }

    /** The rows as one flat array. */
    public float[] flat() {
        float[] out = new float[features.length * DIM];
        for (int i = 0; i < features.length; i++) {
            System.arraycopy(features[i], 0, out, i * DIM, DIM);
        }
        return out;
    }

    /** A residual MLP trained on a standardised 80/20 split of 600 samples (the model carries the normalizer). */
    public static Model trainedOnRaw(long seed) {
        TabularData t = blobs(600, 3, seed);
        Model model = ResidualMlp.builder().inputSize(DIM).classes(3).width(32).sections(3).seed(seed).build();
        try (Dataset all = Dataset.of("blobs", t.features(), t.labels(), 3);
                Dataset.Split raw = all.split(0.2, seed);
                Dataset.Split data = raw.standardized();
                Trainer trainer = Trainer.create(model, TrainConfig.defaults().toBuilder().epochs(8).batchSize(32)
                        .seed(seed).build())) {
            trainer.fit(data.train(), data.validation());
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        return model;
    }

    /** Fraction of {@code predicted} equal to {@code labels}. */
    public static double accuracy(int[] predicted, int[] labels) {
        int ok = 0;
        for (int i = 0; i < labels.length; i++) {
            ok += predicted[i] == labels[i] ? 1 : 0;
        }
        return (double) ok / labels.length;
    }
}
