package io.layerprune;

/**
 * A failure of the layerprune library: every error raised by the native core arrives as this
 * exception, carrying the core's message (what could not be done and why). Data-file problems
 * ({@link DataException}) are a subclass.
 *
 * <p>Bad arguments detected on the Java side are reported earlier, as
 * {@link IllegalArgumentException} naming the parameter and its value; use of a closed object as
 * {@link IllegalStateException}.
 */
public class LayerpruneException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LayerpruneException(String message) {
        super(message);
    }

    public LayerpruneException(String message, Throwable cause) {
        super(message, cause);
    }
}
