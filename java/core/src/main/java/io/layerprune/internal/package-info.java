/**
 * The native glue (not API, not exported by the module): loading the native libraries, calling
 * them with errors translated, the base of native handles, the accessor between packages, the
 * small JSON codec of the core and shared argument checks.
 */
package io.layerprune.internal;
