package io.layerprune;

import io.layerprune.bindings.LayerpruneNative;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Learning-rate schedules: of the weights (eta_W: any of the three) and of theta (eta_theta:
 * {@link #CONSTANT}, the default, or {@link #STEP}).
 */
public enum Schedule {
    CONSTANT("constant", LayerpruneNative.SCHEDULE_CONSTANT),
    /** Multiply by {@code stepGamma} every {@code stepEvery} steps. */
    STEP("step", LayerpruneNative.SCHEDULE_STEP),
    /** Cosine decay to 0 over the training horizon. */
    COSINE("cosine", LayerpruneNative.SCHEDULE_COSINE);

    private final String cliName;
    private final int code;

    Schedule(String cliName, int code) {
        this.cliName = cliName;
        this.code = code;
    }

    public String cliName() {
        return cliName;
    }

    int code() {
        return code;
    }

    public static Schedule fromName(String name) {
        for (Schedule s : values()) {
            if (s.cliName.equalsIgnoreCase(name) || s.name().equalsIgnoreCase(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("unknown schedule '" + name + "', expected one of "
                + Arrays.stream(values()).map(Schedule::cliName).collect(Collectors.joining(", ")));
    }

    static Schedule fromCode(int code) {
        for (Schedule s : values()) {
            if (s.code == code) {
                return s;
            }
        }
        throw new LayerpruneException("native core returned unknown schedule kind " + code);
    }

    @Override
    public String toString() {
        return cliName;
    }
}
