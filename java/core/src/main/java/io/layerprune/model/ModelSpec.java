package io.layerprune.model;

import io.layerprune.Device;
import io.layerprune.bindings.LayerpruneNative;

/**
 * The architecture of a gated residual network, validated, not yet built: any description
 * ({@link Architecture}), or one of the fixed presets of {@code io.layerprune.model.zoo}
 * ({@code ResidualMlp.Spec}, dense; {@code ResNet.Spec} or {@code ConvPreset.Spec}, convolutional).
 * {@link #build()} creates the native model.
 */
public interface ModelSpec {
    /** Short name for reports: "residual-mlp", "resnet20", ... */
    String type();

    /**
     * The architecture family whose training defaults apply ({@code TrainConfig.defaultsFor(ModelSpec)}):
     * a {@code LayerpruneNative.FAMILY_*} code.
     */
    int family();

    /** Features per sample (channels x height x width for images, NHWC order). */
    long inputSize();

    /** Width of the dense sections, or the stem channels of a convolutional network. */
    long width();

    /** Gated sections L. */
    int sections();

    int classes();

    long seed();

    /**
     * The native core's description of what {@link #build()} creates: its sections' kinds, widths,
     * parameters and FLOPs ({@link Architecture#section(int)}), from the core rather than recomputed.
     */
    Architecture architecture();

    /** Creates the native model on the CPU. */
    default Model build() {
        return build(Device.CPU);
    }

    /**
     * Creates the native model on {@code device}.
     *
     * @throws io.layerprune.LayerpruneException for {@link Device#CUDA} without the GPU build or without a GPU
     */
    default Model build(Device device) {
        return Model.create(this, device);
    }

    /** Calls the native constructor (package-private plumbing for {@link Model}). */
    LayerpruneNative.Model createNative(Device device);
}
