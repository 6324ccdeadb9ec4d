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
}
