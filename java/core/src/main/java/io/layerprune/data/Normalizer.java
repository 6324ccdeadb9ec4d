package io.layerprune.data;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import java.util.Arrays;
import java.util.Objects;

/**
 * The feature normalisation {@code x' = (x - mean) / std} that turns raw features into what a
 * network is trained on. It is fitted on the training split ({@link #fit}, {@link #fitPerChannel})
 * or comes with a data set ({@link IdxDataset}, {@link CifarDataset}); a model trained on
 * normalised data carries it into its checkpoint, its exported network and its ONNX graph, so
 * that prediction takes raw features.
 *
 * <p>A normalizer is {@link #groups()} (mean, std) pairs; feature {@code i} of a sample uses pair
 * {@code i % groups()}: one pair per feature ({@link #fit}), one per channel of NHWC images
 * ({@link #fitPerChannel}: feature {@code (y * W + x) * C + c} uses pair {@code c}) or a single
 * pair ({@code groups() == 1}, as for the grey images of {@link IdxDataset}). Immutable.
 *
 * <pre>{@code
 * try (Dataset.Split raw = Dataset.of("iris", features, labels, 3).split(0.2, 1);
 *      Dataset.Split data = raw.normalized(Normalizer.fit(raw.train()))) {
 *     trainer.fit(data.train(), data.validation());   // the model takes the normalizer on
 * }
 * model.classify(rawFeatures, count);                 // raw features in
 * }</pre>
 */
public final class Normalizer {
    private final double[] mean;
    private final double[] std;

    private Normalizer(double[] mean, double[] std) {
        this.mean = mean;
        this.std = std;
    }

    /**
     * A normalizer of the given pairs.
     *
     * @throws IllegalArgumentException for arrays of different or zero length, a non-finite mean, or a
     *     standard deviation that is not finite and &gt; 0
     */
    public static Normalizer of(double[] mean, double[] std) {
        Objects.requireNonNull(mean, "mean");
        Objects.requireNonNull(std, "std");
        if (mean.length == 0 || mean.length != std.length) {
            throw new IllegalArgumentException("mean and std must have the same length > 0, got " + mean.length
                    + " and " + std.length);
        }
        for (int g = 0; g < mean.length; g++) {
            if (!Double.isFinite(mean[g])) {
                throw new IllegalArgumentException("mean[" + g + "] must be finite, got " + mean[g]);
            }
            if (!(std[g] > 0) || !Double.isFinite(std[g])) {
                throw new IllegalArgumentException("std[" + g + "] must be finite and > 0, got " + std[g]);
            }
        }
        return new Normalizer(mean.clone(), std.clone());
    }

    /**
     * Per-feature mean and (population) standard deviation of {@code data}, the training split. A
     * constant feature (standard deviation 0) gets std 1: it is only centred.
     */
    public static Normalizer fit(Dataset data) {
        Objects.requireNonNull(data, "data");
        return fit(data, data.dim());
    }

    /**
     * Per-channel statistics of NHWC images with {@code channels} channels (feature
     * {@code (y * W + x) * C + c} belongs to channel {@code c}); a constant channel gets std 1.
     *
     * @throws IllegalArgumentException if {@code channels} does not divide the features per sample
     */
    public static Normalizer fitPerChannel(Dataset data, int channels) {
        Objects.requireNonNull(data, "data");
        if (channels <= 0 || data.dim() % channels != 0) {
            throw new IllegalArgumentException("channels must be > 0 and divide the " + data.dim()
                    + " features per sample of " + data.name() + ", got " + channels);
        }
        return fit(data, channels);
    }

    private static Normalizer fit(Dataset data, int groups) {
        if (data.normalizer().isPresent()) {
            throw new IllegalArgumentException("dataset " + data.name() + " is already normalised ("
                    + data.normalizer().get() + "); fit the normalizer on the raw training data");
        }
        LayerpruneNative.Dataset d = NativeHandle.pointer(data, LayerpruneNative.Dataset.class);
        double[] mean = new double[groups];
        double[] std = new double[groups];
        Native.run(() -> LayerpruneNative.dataset_feature_stats(d, groups, mean, std));
        for (int g = 0; g < groups; g++) {
            if (!(std[g] > 1e-12)) {
                std[g] = 1.0;  // a constant feature: centre only
            }
        }
        return new Normalizer(mean, std);
    }

    /** Number of (mean, std) pairs. */
    public int groups() {
        return mean.length;
    }

    /** The means, one per group. */
    public double[] mean() {
        return mean.clone();
    }

    /** The standard deviations, one per group. */
    public double[] std() {
        return std.clone();
    }

    /** Whether {@code dim} features per sample can be normalised ({@link #groups()} divides it). */
    public boolean fits(long dim) {
        return dim > 0 && dim % mean.length == 0;
    }

    /**
     * The normalised copy of {@code features}: samples of {@code dim} features, one after another
     * (computed in double and rounded once, as the native core does).
     *
     * @throws IllegalArgumentException if the normalizer does not fit {@code dim} or the array is not
     *     whole samples
     */
    public float[] apply(float[] features, int dim) {
        Objects.requireNonNull(features, "features");
        if (!fits(dim)) {
            throw new IllegalArgumentException("dim must be a positive multiple of the normalizer's " + groups()
                    + " groups, got " + dim);
        }
        if (features.length % dim != 0) {
            throw new IllegalArgumentException("features must hold whole samples of " + dim + " floats, got "
                    + features.length);
        }
        float[] out = new float[features.length];
        int g = mean.length;
        for (int i = 0; i < features.length; i++) {
            int k = (i % dim) % g;
            out[i] = (float) ((features[i] - mean[k]) / std[k]);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalizer n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        if (mean.length <= 4) {
            return "Normalizer[mean " + Arrays.toString(mean) + ", std " + Arrays.toString(std) + "]";
        }
        return "Normalizer[" + mean.length + " groups, mean " + mean[0] + " .., std " + std[0] + " ..]";
    }
}
