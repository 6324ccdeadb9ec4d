package io.layerprune;

import io.layerprune.bindings.LayerpruneNative;

/**
 * Builds VGG16 with gated sections: its 13 conv layers (64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M,
 * 512 x3, M) as a conv-BN-ReLU stem, 3 ungated channel transitions (to 128, 256, 512) and 9 gated
 * conv-BN-ReLU sections wrapped in identity skips (ALGORITHM.md section 1, "VGG-style"), 2x2 max
 * pooling (ceil mode, so 28x28 inputs pool down to 1x1), global average pooling and one dense layer.
 */
public final class Vgg16 {
    private Vgg16() {}

    /**
     * @param channels input channels
     * @param height input height
     * @param width input width
     * @param classes output classes
     * @param seed weight initialisation seed
     */
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
            return "vgg16";
        }

        @Override
        public long inputSize() {
            return channels * height * width;
        }

        /** Stem channels. */
        @Override
        public long width() {
            return 64;
        }

        @Override
        public int sections() {
            return 9;
        }

        @Override
        public LayerpruneNative.Model createNative() {
            try (LayerpruneNative.VggSpec s = new LayerpruneNative.VggSpec()) {
                s.channels(channels).height(height).width(width).classes(classes).seed(seed);
                return LayerpruneNative.model_create_vgg16(s);
            }
        }
    }

    /** VGG16 for images of the given shape. */
    public static Spec spec(long channels, long height, long width, int classes, long seed) {
        return new Spec(channels, height, width, classes, seed);
    }
}
