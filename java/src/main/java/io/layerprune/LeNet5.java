package io.layerprune;

import io.layerprune.bindings.LayerpruneNative;

/**
 * Builds LeNet-5 with gated sections: a conv5x5-BN-ReLU stem (6 channels), 2x2 max pooling, an
 * ungated conv5x5-BN-ReLU to 16 channels (valid padding), max pooling, flatten (400 for 28x28
 * inputs), then its fully connected layers 400 -> 120 and 120 -> 84 as gated sections ("W-B-a-W"
 * with 1x1 convolutions on 1x1 images, i.e. dense layers with batch norm, and a linear projection
 * skip because the widths change), and the head 84 -> classes. Batch norm is a modern addition to
 * the 1998 network.
 */
public final class LeNet5 {
    private LeNet5() {}

    public record Spec(long channels, long height, long width, int classes, long seed) implements ModelSpec {
        public Spec {
            if (channels <= 0 || height <= 0 || width <= 0) {
                throw new IllegalArgumentException(
                        "input shape must be positive, got " + channels + "x" + height + "x" + width);
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes must be >= 2, got " + classes);
            }
        }

        @Override
        public String type() {
            return "lenet5";
        }

        @Override
        public long inputSize() {
            return channels * height * width;
        }

        /** Stem channels. */
        @Override
        public long width() {
            return 6;
        }

        @Override
        public int sections() {
            return 2;
        }

        @Override
        public LayerpruneNative.Model createNative() {
            try (LayerpruneNative.VggSpec s = new LayerpruneNative.VggSpec()) {
                s.channels(channels).height(height).width(width).classes(classes).seed(seed);
                return LayerpruneNative.model_create_lenet5(s);
            }
        }
    }

    /** LeNet-5 for images of the given shape. */
    public static Spec spec(long channels, long height, long width, int classes, long seed) {
        return new Spec(channels, height, width, classes, seed);
    }
}
