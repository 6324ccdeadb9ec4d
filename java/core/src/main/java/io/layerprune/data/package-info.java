/**
 * Labelled data sets held natively ({@link io.layerprune.data.Dataset}: from arrays or buffers,
 * row subsets, {@link io.layerprune.data.Dataset#split validation splits}), the feature
 * normalisation a model carries ({@link io.layerprune.data.Normalizer}), and the readers of
 * MNIST-format IDX files and of CIFAR-10's binary version, which standardise images and record
 * their normalizer.
 */
package io.layerprune.data;
