package io.layerprune.model.zoo;

import io.layerprune.Device;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;

/**
 * Builds the residual MLP of ALGORITHM.md section 7: a stem {@code inputSize -> width} with ReLU,
 * {@code sections} gated dense sections of width {@code width} ("W-a-W" with an identity skip),
 * and a head {@code width -> classes}.
 *
 * <pre>{@code
 * try (Model model = ResidualMlp.builder().inputSize(784).classes(10).width(256).sections(12).seed(1).build()) {
 *     ...
 * }
 * }</pre>
 */
public final class ResidualMlp {
    private ResidualMlp() {}

    /**
     * The architecture, validated.
     *
     * @param inputSize features per sample
     * @param width stem and section width D
     * @param sections gated sections L (0 allowed: stem and head only)
     * @param classes output classes
     * @param seed weight initialisation seed
     */
    public record Spec(long inputSize, long width, int sections, int classes, long seed) implements ModelSpec {
        public Spec {
            if (inputSize <= 0) {
                throw new IllegalArgumentException("inputSize must be > 0, got " + inputSize);
            }
            if (width <= 0) {
                throw new IllegalArgumentException("width must be > 0, got " + width);
            }
            if (sections < 0) {
                throw new IllegalArgumentException("sections must be >= 0, got " + sections);
            }
            if (classes < 2) {
                throw new IllegalArgumentException("classes must be >= 2, got " + classes);
            }
        }

        @Override
        public String type() {
            return "residual-mlp";
        }

        @Override
        public int family() {
            return io.layerprune.bindings.LayerpruneNative.FAMILY_MLP;
        }

        @Override
        public io.layerprune.model.Architecture architecture() {
            try (io.layerprune.bindings.LayerpruneNative.MlpSpec s = new io.layerprune.bindings.LayerpruneNative.MlpSpec()) {
                s.input_size(inputSize).width(width).sections(sections).classes(classes).seed(seed);
                return CoreArchitecture.of(() -> io.layerprune.bindings.LayerpruneNative.architecture_mlp(s));
            }
        }

        @Override
        public io.layerprune.bindings.LayerpruneNative.Model createNative(Device device) {
            try (io.layerprune.bindings.LayerpruneNative.MlpSpec s = new io.layerprune.bindings.LayerpruneNative.MlpSpec()) {
                s.input_size(inputSize).width(width).sections(sections).classes(classes).seed(seed).device(device.code());
                return io.layerprune.bindings.LayerpruneNative.model_create_mlp(s);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builder. {@link #inputSize} and {@link #classes} are required (they come from the data);
     * width 256, 12 sections and seed 1 (the main experiment's) are defaults.
     */
    public static final class Builder {
        private Long inputSize;
        private long width = 256;
        private int sections = 12;
        private Integer classes;
        private long seed = 1;
        private Device device = Device.CPU;

        private Builder() {}

        /** Where {@link #build()} puts the model (default {@link Device#CPU}). */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        public Builder inputSize(long inputSize) {
            this.inputSize = inputSize;
            return this;
        }

        public Builder width(long width) {
            this.width = width;
            return this;
        }

        public Builder sections(int sections) {
            this.sections = sections;
            return this;
        }

        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates the architecture without creating anything native.
         *
         * @throws IllegalStateException if {@link #inputSize} or {@link #classes} was not given
         * @throws IllegalArgumentException for an invalid size
         */
        public Spec spec() {
            if (inputSize == null) {
                throw new IllegalStateException("inputSize is required: call inputSize(n) with the features per sample "
                        + "(e.g. 784 for 28x28 images)");
            }
            if (classes == null) {
                throw new IllegalStateException("classes is required: call classes(n) with the number of classes");
            }
            return new Spec(inputSize, width, sections, classes, seed);
        }

        /** Validates and creates the native model. */
        public Model build() {
            return spec().build(device);
        }
    }
}
