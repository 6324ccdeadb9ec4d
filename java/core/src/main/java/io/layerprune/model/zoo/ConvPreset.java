package io.layerprune.model.zoo;

import io.layerprune.Device;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.model.Architecture;
import io.layerprune.model.ModelSpec;
import java.util.function.Function;

/**
 * Fixed convolutional architectures that only need an image shape: {@link #VGG16} and
 * {@link #LENET5} (see {@link Vgg16} and {@link LeNet5} for what each holds). ResNets, which also
 * take a depth, have their own builder ({@link ResNet}).
 */
public enum ConvPreset {
    VGG16("vgg16", LayerpruneNative::architecture_vgg16, LayerpruneNative::model_create_vgg16),
    LENET5("lenet5", LayerpruneNative::architecture_lenet5, LayerpruneNative::model_create_lenet5);

    private final String type;
    // The core's description of a spec (its sections, stem width, family and validation) and its model.
    private final Function<LayerpruneNative.VggSpec, String> describe;
    private final Function<LayerpruneNative.VggSpec, LayerpruneNative.Model> create;

    ConvPreset(String type, Function<LayerpruneNative.VggSpec, String> describe,
            Function<LayerpruneNative.VggSpec, LayerpruneNative.Model> create) {
        this.type = type;
        this.describe = describe;
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
            describe(preset, channels, height, width, classes);  // the core validates
        }

        /**
         * The core's description of this network (what {@link #build()} creates).
         *
         * @throws IllegalArgumentException with the core's message for a shape the preset cannot take
         */
        private static Architecture describe(ConvPreset preset, long channels, long height, long width, int classes) {
            try (LayerpruneNative.VggSpec s = new LayerpruneNative.VggSpec()) {
                s.channels(channels).height(height).width(width).classes(classes);
                return CoreArchitecture.of(() -> preset.describe.apply(s));
            }
        }

        @Override
        public Architecture architecture() {
            return describe();
        }

        private Architecture describe() {
            return describe(preset, channels, height, width, classes);
        }

        @Override
        public String type() {
            return preset.type;
        }

        @Override
        public int family() {
            return describe().family();
        }

        @Override
        public long inputSize() {
            return channels * height * width;
        }

        /** Stem channels (the core's description's). */
        @Override
        public long width() {
            return describe().width();
        }

        /** Gated sections (the core's count). */
        @Override
        public int sections() {
            return describe().sections();
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
