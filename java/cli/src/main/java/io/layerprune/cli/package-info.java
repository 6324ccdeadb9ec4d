/** The {@code layerprune} command line ({@link io.layerprune.cli.Main}), built with picocli. */
package io.layerprune.cli;
