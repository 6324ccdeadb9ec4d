package io.layerprune.internal;

/** Argument checks shared by packages (their messages are part of the tested behaviour). */
public final class Checks {
    private Checks() {}

    /**
     * Throws IllegalArgumentException unless a data set ({@code name}: {@code dim} features,
     * labels in {@code [0, dataClasses)}) fits a network of {@code inputSize} features and
     * {@code classes} outputs.
     *
     * @param what the network in messages: "the model", "the exported model"
     */
    public static void compatible(String name, long dim, int dataClasses, long inputSize, int classes, String what) {
        if (dim != inputSize) {
            throw new IllegalArgumentException("dataset " + name + " has " + dim + " features per sample but " + what
                    + " expects " + inputSize);
        }
        if (dataClasses > classes) {
            throw new IllegalArgumentException("dataset " + name + " has " + dataClasses + " classes but " + what
                    + " has " + classes + " outputs");
        }
    }

    /**
     * Throws IllegalArgumentException unless {@code features} holds exactly {@code count} samples of
     * {@code inputSize} finite floats ({@code what}: the parameter's name in messages).
     */
    public static void features(float[] features, int count, long inputSize, String what) {
        java.util.Objects.requireNonNull(features, what);
        counted(features.length, count, inputSize, what, "");
        for (int i = 0; i < features.length; i++) {
            finite(features[i], i, inputSize, what);
        }
    }

    /** {@link #features(float[], int, long, String)} of a buffer's remaining floats. */
    public static void features(java.nio.FloatBuffer features, int count, long inputSize, String what) {
        java.util.Objects.requireNonNull(features, what);
        counted(features.remaining(), count, inputSize, what, " (remaining)");
        int p = features.position();
        for (int i = 0; i < features.remaining(); i++) {
            finite(features.get(p + i), i, inputSize, what);
        }
    }

    private static void counted(long length, int count, long inputSize, String what, String remaining) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        long expected = (long) count * inputSize;
        if (length != expected) {
            throw new IllegalArgumentException(what + " must hold count * inputSize = " + count + " * " + inputSize
                    + " = " + expected + " floats" + remaining + ", got " + length);
        }
    }

    private static void finite(float v, int i, long inputSize, String what) {
        if (!Float.isFinite(v)) {
            // The native forward pass would turn it into silent garbage (NaN logits, or 0 after a
            // ReLU); data sets reject non-finite features the same way.
            throw new IllegalArgumentException(what + " must be finite: feature " + i % inputSize + " of sample "
                    + i / inputSize + " is " + v);
        }
    }
}
