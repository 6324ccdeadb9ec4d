package io.layerprune.model.zoo;

/**
 * LeNet-5 with gated sections: a conv5x5-BN-ReLU stem (6 channels), 2x2 max pooling, an ungated
 * conv5x5-BN-ReLU to 16 channels (valid padding), max pooling, flatten (400 for 28x28 inputs), then
 * its fully connected layers 400 -> 120 and 120 -> 84 as gated sections ("W-B-a-W" with 1x1
 * convolutions on 1x1 images, i.e. dense layers with batch norm, and a linear projection skip
 * because the widths change), and the head 84 -> classes. Batch norm is a modern addition to the
 * 1998 network.
 */
public final class LeNet5 {
    private LeNet5() {}

    /** LeNet-5 for images of the given shape. */
    public static ConvPreset.Spec spec(long channels, long height, long width, int classes, long seed) {
        return ConvPreset.LENET5.spec(channels, height, width, classes, seed);
    }
}
