/**
 * Reading checkpoints back ({@link io.layerprune.checkpoint.Checkpoint}: the model, or the whole
 * run to resume bit-exactly) and describing any layerprune container file
 * ({@link io.layerprune.checkpoint.ContainerInfo}). Checkpoints are written by
 * {@code Model.save} and {@code Trainer.save}.
 */
package io.layerprune.checkpoint;
