/**
 * Gated residual networks: {@link io.layerprune.model.Model} (sections, theta, evaluation,
 * prediction on raw features, its normalizer, saving), the {@link io.layerprune.model.ModelSpec}
 * it is built from and the {@link io.layerprune.model.Predictor} interface it shares with exported
 * networks. The presets are in {@link io.layerprune.model.zoo}.
 */
package io.layerprune.model;
