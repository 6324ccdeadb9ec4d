package io.layerprune;

import io.layerprune.data.Dataset;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;
import io.layerprune.train.TrainConfig;
import io.layerprune.train.Trainer;
import java.util.Random;

/** Small trained models and random batches for the export and ONNX tests. */
public final class ExportTestModels {
    private ExportTestModels() {}

    public static float[] batch(int rows, long inputSize, long seed) {
        Random r = new Random(seed);
        float[] x = new float[(int) (rows * inputSize)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    /**
     * A few noisy-gates training steps on random labelled data, so the weights, the BN running
     * statistics and thus the folded biases are not their initial values; then theta set per
     * section (values below 0.5 leave the section out of the deterministic network).
     */
    public static Model trained(ModelSpec spec, double... thetas) {
        Model model = spec.build();
        try (Dataset data = Dataset.of("random", batch(64, spec.inputSize(), 7), labels(64, spec.classes()),
                (int) spec.inputSize(), spec.classes());
                Trainer trainer = Trainer.create(model, TrainConfig.defaults().toBuilder().epochs(1).batchSize(16)
                        .lambda(0).etaTheta(0).seed(3).build())) {
            trainer.fit(data, data);
        }
        for (int l = 0; l < thetas.length; l++) {
            model.setTheta(l, thetas[l]);
        }
        return model;
    }

    public static int[] labels(int n, int classes) {
        Random r = new Random(11);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(classes);
        }
        return y;
    }

    /** max |a - b| over max(1, max |b|). */
    public static double relativeError(float[] a, float[] b) {
        double scale = 1, err = 0;
        for (int i = 0; i < b.length; i++) {
            scale = Math.max(scale, Math.abs(b[i]));
            err = Math.max(err, Math.abs(a[i] - b[i]));
        }
        return err / scale;
    }
}
