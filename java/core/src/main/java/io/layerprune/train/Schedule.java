package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;

/**
 * Learning-rate schedules: of the weights (eta_W: any of the three) and of theta (eta_theta:
 * {@link #CONSTANT}, the default, or {@link #STEP}).
 */
public enum Schedule implements CliNamed {
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


    @Override
    public String cliName() {
        return cliName;
    }

    @Override
    public int code() {
        return code;
    }

    public static Schedule fromName(String name) {
        return CliNamed.fromName(Schedule.class, name, "schedule");
    }

    static Schedule fromCode(int code) {
        return CliNamed.fromCode(Schedule.class, code, "schedule");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
