/**
 * Preset architectures: the residual MLP, CIFAR-style ResNets, VGG16 and LeNet-5 with gated
 * sections. Their builders require the sizes that come from the data (input, classes).
 */
package io.layerprune.model.zoo;
