package io.layerprune.model;

import io.layerprune.data.Normalizer;
import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.Optional;

/**
 * Prediction on raw features, the same for a {@link Model} and an exported network
 * ({@code io.layerprune.inference.ExportedModel}): {@code count} samples of {@link #inputSize()}
 * floats, one after another (NHWC for images), as a {@code float[]} or a {@link FloatBuffer};
 * the {@link #normalizer()} the model was trained with is applied to them first, by the native
 * core. {@link #classify} and {@link #probabilities} are built on {@link #predict}.
 *
 * <pre>{@code
 * int[] classes = model.classify(features, count);          // argmax per sample
 * float[] p = model.probabilities(features, count);         // softmax, count x classes()
 * }</pre>
 */
public interface Predictor {
    /** Features per sample. */
    long inputSize();

    /** Output classes. */
    int classes();

    /** What turns raw features into the training data's; empty: features are used as given. */
    Optional<Normalizer> normalizer();

    /**
     * Logits of {@code count} samples.
     *
     * @param features {@code count * inputSize()} finite raw floats, sample after sample
     * @return {@code count * classes()} logits, sample after sample
     * @throws IllegalArgumentException for a wrong length, a negative count or a non-finite feature
     */
    float[] predict(float[] features, int count);

    /**
     * Logits of {@code count} samples read from {@code features} (its remaining floats, exactly
     * {@code count * inputSize()}; a direct buffer is read without a copy).
     */
    float[] predict(FloatBuffer features, int count);

    /** The most likely class of each of {@code count} samples. */
    default int[] classify(float[] features, int count) {
        return argmax(predict(features, count), classes());
    }

    /** {@link #classify(float[], int)} of a buffer. */
    default int[] classify(FloatBuffer features, int count) {
        return argmax(predict(features, count), classes());
    }

    /** Class probabilities (softmax of the logits), {@code count * classes()} values, sample after sample. */
    default float[] probabilities(float[] features, int count) {
        return softmax(predict(features, count), classes());
    }

    /** {@link #probabilities(float[], int)} of a buffer. */
    default float[] probabilities(FloatBuffer features, int count) {
        return softmax(predict(features, count), classes());
    }

    /** The index of the largest of each row of {@code classes} logits (the first on ties). */
    static int[] argmax(float[] logits, int classes) {
        Objects.requireNonNull(logits, "logits");
        int n = logits.length / classes;
        int[] out = new int[n];
        for (int r = 0; r < n; r++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits[r * classes + c] > logits[r * classes + best]) {
                    best = c;
                }
            }
            out[r] = best;
        }
        return out;
    }

    /** Row-wise softmax of rows of {@code classes} logits (max subtracted first, computed in double). */
    static float[] softmax(float[] logits, int classes) {
        Objects.requireNonNull(logits, "logits");
        float[] out = new float[logits.length];
        for (int r = 0; r < logits.length / classes; r++) {
            int o = r * classes;
            double max = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) {
                max = Math.max(max, logits[o + c]);
            }
            double sum = 0;
            for (int c = 0; c < classes; c++) {
                sum += Math.exp(logits[o + c] - max);
            }
            for (int c = 0; c < classes; c++) {
                out[o + c] = (float) (Math.exp(logits[o + c] - max) / sum);
            }
        }
        return out;
    }
}
