package io.layerprune;

/**
 * A data set could not be read: a missing or unreadable file, a corrupt or truncated IDX file,
 * inconsistent image and label counts, a label out of range. The message names the file and says
 * what was expected and what was found.
 */
public class DataException extends LayerpruneException {
    private static final long serialVersionUID = 1L;

    public DataException(String message) {
        super(message);
    }

    public DataException(String message, Throwable cause) {
        super(message, cause);
    }
}
