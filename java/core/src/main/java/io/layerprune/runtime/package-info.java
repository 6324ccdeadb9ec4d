/** Native runtime settings and information: thread count, physical cores, the core's version. */
package io.layerprune.runtime;
