package io.layerprune.model.zoo;

import io.layerprune.Device;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.model.Architecture;
import io.layerprune.model.Model;
import io.layerprune.model.ModelSpec;

/**
 * Builds a CIFAR-style ResNet whose basic blocks are gated sections (ALGORITHM.md section 1, "W-B-a-W":
 * conv3x3-BN-ReLU-conv3x3, the basic block without its last BN): a conv3x3-BN-ReLU stem with 16
 * channels, three stages of 16, 32 and 64 channels with n blocks each (depth = 6n + 2: 20, 32, 56,
 * 110), identity skips or 1x1 strided projections where the shape changes, global average pooling
 * and a dense head. Images are NHWC floats, channels x height x width per sample.
 *
 * <pre>{@code
 * try (Model model = ResNet.builder().depth(20).input(1, 28, 28).classes(10).build()) { ... }
 * }</pre>
 */
public final class ResNet {
    private ResNet() {}

    /**
     * The architecture, validated.
     *
     * @param depth 6n + 2 (20, 32, 56, 110)
     * @param channels input channels (1 for Fashion-MNIST, 3 for CIFAR-10)
     * @param height input height
     * @param width input width
     * @param classes output classes
     * @param postActivation h = ReLU after each section (classic post-activation ResNet) instead of identity
     * @param seed weight initialisation seed
     */
    public record Spec(int depth, long channels, long height, long width, int classes, boolean postActivation,
            long seed) implements ModelSpec {
        public Spec {
            describe(depth, channels, height, width, classes, postActivation);  // the core validates
        }

        /**
         * The core's description of this ResNet (what {@link #build()} creates).
         *
         * @throws IllegalArgumentException with the core's message, e.g. for a depth that is not 6n + 2
         */
        private static Architecture describe(int depth, long channels, long height, long width, int classes,
                boolean postActivation) {
            try (LayerpruneNative.ResNetSpec s = new LayerpruneNative.ResNetSpec()) {
                s.depth(depth).channels(channels).height(height).width(width).classes(classes)
                        .post_activation(postActivation ? 1 : 0);
                return CoreArchitecture.of(() -> LayerpruneNative.architecture_resnet(s));
            }
        }

        @Override
        public Architecture architecture() {
            return describe();
        }

        private Architecture describe() {
            return describe(depth, channels, height, width, classes, postActivation);
        }

        @Override
        public String type() {
            return "resnet" + depth;
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

        /** Gated sections: the core's count for this depth. */
        @Override
        public int sections() {
            return describe().sections();
        }

        @Override
        public LayerpruneNative.Model createNative(Device device) {
            try (LayerpruneNative.ResNetSpec s = new LayerpruneNative.ResNetSpec()) {
                s.depth(depth).channels(channels).height(height).width(width).classes(classes)
                        .post_activation(postActivation ? 1 : 0).seed(seed).device(device.code());
                return LayerpruneNative.model_create_resnet(s);
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builder. {@link #input} and {@link #classes} are required (they come from the data); depth 20,
     * identity h and seed 1 are defaults.
     */
    public static final class Builder {
        private int depth = 20;
        private Long channels;
        private long height;
        private long width;
        private Integer classes;
        private boolean postActivation;
        private long seed = 1;
        private Device device = Device.CPU;

        private Builder() {}

        /** Where {@link #build()} puts the model (default {@link Device#CPU}). */
        public Builder device(Device device) {
            this.device = device;
            return this;
        }

        public Builder depth(int depth) {
            this.depth = depth;
            return this;
        }

        public Builder input(long channels, long height, long width) {
            this.channels = channels;
            this.height = height;
            this.width = width;
            return this;
        }

        public Builder classes(int classes) {
            this.classes = classes;
            return this;
        }

        public Builder postActivation(boolean postActivation) {
            this.postActivation = postActivation;
            return this;
        }

        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /**
         * Validates the architecture without creating anything native.
         *
         * @throws IllegalStateException if {@link #input} or {@link #classes} was not given
         * @throws IllegalArgumentException for an invalid size
         */
        public Spec spec() {
            if (channels == null) {
                throw new IllegalStateException("input is required: call input(channels, height, width) with the image "
                        + "shape (e.g. 1, 28, 28 or 3, 32, 32)");
            }
            if (classes == null) {
                throw new IllegalStateException("classes is required: call classes(n) with the number of classes");
            }
            return new Spec(depth, channels, height, width, classes, postActivation, seed);
        }

        public Model build() {
            return spec().build(device);
        }
    }
}
