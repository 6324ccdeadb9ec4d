package io.layerprune.model.zoo;

import io.layerprune.Device;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.model.ModelSpec;
import java.util.function.Function;

/**
 * Fixed convolutional architectures that only need an image shape: {@link #VGG16} and
 * {@link #LENET5} (see {@link Vgg16} and {@link LeNet5} for what each holds). ResNets, which also
 * take a depth, have their own builder ({@link ResNet}).
 */
public enum ConvPreset {
    VGG16("vgg16", 64, 9, LayerpruneNative.FAMILY_VGG, LayerpruneNative::model_create_vgg16),
    LENET5("lenet5", 6, 2, LayerpruneNative.FAMILY_LENET, LayerpruneNative::model_create_lenet5);

    private final String type;
    private final long stemChannels;
    private final int sections;
    private final int family;
    private final Function<LayerpruneNative.VggSpec, LayerpruneNative.Model> create;

    ConvPreset(String type, long stemChannels, int sections, int family,
            Function<LayerpruneNative.VggSpec, LayerpruneNative.Model> create) {
        this.family = family;
        this.type = type;
        this.stemChannels = stemChannels;
        this.sections = sections;
        this.create = create;
    }

    /** The architecture for images of channels x height x width, validated. */
    public Spec spec(long channels, long height, long width, int classes, long seed) {
        return new Spec(this, channels, height, width, classes, seed);
    }

    public record Spec(ConvPreset preset, long channels, long height, long width, int classes, long seed)
            implements ModelSpec {
        public Spec {
            if (preset == null) {
                throw new IllegalArgumentException("preset must not be null");
            }
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
            return preset.type;
        }

        @Override
        public int family() {
            return preset.family;
        }

        @Override
        public long inputSize() {
            return channels * height * width;
        }

        /** Stem channels. */
        @Override
        public long width() {
            return preset.stemChannels;
        }

        @Override
        public int sections() {
            return preset.sections;
        }

        @Override
        public LayerpruneNative.Model createNative(Device device) {
            try (LayerpruneNative.VggSpec s = new LayerpruneNative.VggSpec()) {
                s.channels(channels).height(height).width(width).classes(classes).seed(seed).device(device.code());
                return preset.create.apply(s);
            }
        }
    }
}
