/**
 * Exported networks ({@link io.layerprune.inference.ExportedModel}): the deterministic final
 * network with pruned sections removed and linear maps folded, its file, its graph (for writers
 * of other formats, such as {@code io.layerprune:layerprune-onnx}) and prediction on raw features.
 */
package io.layerprune.inference;
