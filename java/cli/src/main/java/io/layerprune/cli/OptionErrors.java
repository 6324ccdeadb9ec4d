package io.layerprune.cli;

import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/**
 * The usage errors (exit code 2) for bad option values, worded the same way by every command:
 * {@code invalid value for --flag: <why>, got <value>}.
 */
final class OptionErrors {
    private OptionErrors() {}

    /** Fails unless {@code value >= min}. */
    static void requireAtLeast(CommandLine cl, String option, long value, long min) {
        requireAtLeast(cl, option, value, min, "");
    }

    /** Fails unless {@code value >= min}; {@code note} (e.g. "(0 = all)") follows the bound in the message. */
    static void requireAtLeast(CommandLine cl, String option, long value, long min, String note) {
        if (value < min) {
            throw new ParameterException(cl, "invalid value for " + option + ": must be >= " + min
                    + (note.isEmpty() ? "" : " " + note) + ", got " + value);
        }
    }

    /**
     * A validation failure of the Java API (a builder or settings record), whose message starts
     * with the field name ("width must be >= 1 ..."), as a usage error naming the flag the user
     * typed instead; a message about a field not in {@code flags} is kept as it is.
     */
    static ParameterException fromValidation(CommandLine cl, IllegalArgumentException e, Map<String, String> flags) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        int space = m.indexOf(' ');
        String flag = space > 0 ? flags.get(m.substring(0, space)) : null;
        return new ParameterException(cl, flag != null ? "invalid value for " + flag + ": " + m.substring(space + 1) : m, e);
    }
}
