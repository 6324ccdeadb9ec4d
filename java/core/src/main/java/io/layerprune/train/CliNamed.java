package io.layerprune.train;

import io.layerprune.LayerpruneException;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * An enum constant with a command-line spelling ("two-point") and a native code: the shared
 * parsing of {@link Estimator} and {@link Schedule}.
 */
interface CliNamed {
    String cliName();

    int code();

    /** The constant whose CLI name or enum name is {@code name} (case-insensitive). */
    static <E extends Enum<E> & CliNamed> E fromName(Class<E> type, String name, String what) {
        for (E e : type.getEnumConstants()) {
            if (e.cliName().equalsIgnoreCase(name) || e.name().equalsIgnoreCase(name)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + name + "', expected one of "
                + Arrays.stream(type.getEnumConstants()).map(CliNamed::cliName).collect(Collectors.joining(", ")));
    }

    /** The constant with native code {@code code}. */
    static <E extends Enum<E> & CliNamed> E fromCode(Class<E> type, int code, String what) {
        for (E e : type.getEnumConstants()) {
            if (e.code() == code) {
                return e;
            }
        }
        throw new LayerpruneException("native core returned unknown " + what + " kind " + code);
    }
}
