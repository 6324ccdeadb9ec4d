package io.layerprune;

import java.util.Locale;

/**
 * Where a model's tensors live and its ops run. {@link #CPU} (oneDNN) is the default. {@link #CUDA}
 * runs every op on one NVIDIA GPU; it needs the {@code linux-x86_64-gpu} native jar (built with
 * {@code mvn -Pgpu}) and a GPU with its driver: otherwise building the model throws a
 * {@link LayerpruneException} that says which is missing.
 */
public enum Device {
    CPU(0, "cpu"),
    CUDA(1, "cuda");

    private final int code;
    private final String cliName;

    Device(int code, String cliName) {
        this.code = code;
        this.cliName = cliName;
    }

    /** The native DeviceKind code (api.h). */
    public int code() {
        return code;
    }

    /** The name on the command line ({@code --device cpu|cuda}). */
    public String cliName() {
        return cliName;
    }

    /** Parses a command-line name, case-insensitively. */
    public static Device fromName(String name) {
        for (Device d : values()) {
            if (d.cliName.equals(name.toLowerCase(Locale.ROOT))) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown device '" + name + "': use cpu or cuda");
    }
}
