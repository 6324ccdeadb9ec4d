package io.layerprune.model.zoo;

/**
 * VGG16 with gated sections: its 13 conv layers (64, 64, M, 128, 128, M, 256 x3, M, 512 x3, M,
 * 512 x3, M) as a conv-BN-ReLU stem, 3 ungated channel transitions (to 128, 256, 512) and 9 gated
 * conv-BN-ReLU sections wrapped in identity skips (ALGORITHM.md section 1, "VGG-style"), 2x2 max
 * pooling (ceil mode, so 28x28 inputs pool down to 1x1), global average pooling and one dense layer.
 */
public final class Vgg16 {
    private Vgg16() {}

    /** VGG16 for images of the given shape. */
    public static ConvPreset.Spec spec(long channels, long height, long width, int classes, long seed) {
        return ConvPreset.VGG16.spec(channels, height, width, classes, seed);
    }
}
