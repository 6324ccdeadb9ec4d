package io.layerprune.model;

import io.layerprune.LayerpruneException;
import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.internal.Native;
import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Precision of the matrix products (dense layers and convolutions, forward and backward): fp32, or
 * bf16 inputs with f32 accumulation and f32 outputs (mixed precision). Weights, gradients, momenta,
 * the loss, softmax, batch-norm statistics, the prior and theta stay f32 either way, so checkpoints
 * and exports hold f32 weights whatever the precision of the run.
 *
 * <p>Set it for training with {@code TrainConfig.Builder.precision} (a trainer sets its model's
 * precision to its config's), for inference with {@link Model#setPrecision} and
 * {@code ExportedModel.setPrecision}. Where this machine cannot run a precision
 * ({@link #unsupportedReason()}), those calls throw a {@link LayerpruneException} that says why;
 * nothing falls back silently.
 *
 * <p>It lives with {@link Model} (not in {@code io.layerprune.train}, beside {@code PruningRule}) because
 * the model and the exported network use it, and those packages sit below {@code train}.
 */
public enum Precision {
    /** The default: f32 everywhere. Every machine runs it. */
    FP32("fp32", LayerpruneNative.PRECISION_FP32),
    /**
     * bf16 inputs, f32 accumulation and outputs. On the CPU it needs AVX512-BF16 or AMX-BF16; the CUDA
     * backend runs fp32 only.
     */
    BF16("bf16", LayerpruneNative.PRECISION_BF16);

    private final String cliName;
    private final int code;

    Precision(String cliName, int code) {
        this.cliName = cliName;
        this.code = code;
    }

    /** The name on the command line ({@code --precision fp32|bf16}). */
    public String cliName() {
        return cliName;
    }

    /** The native Precision code (types.h). */
    public int code() {
        return code;
    }

    /**
     * Why this machine's CPU cannot run this precision (for bf16: a CPU without AVX512-BF16 or
     * AMX-BF16, or not x86-64), from the native core; empty when it can ({@link #FP32} always can).
     * The CUDA backend's own limit (fp32 only) is reported by {@link Model#setPrecision} instead.
     */
    public Optional<String> unsupportedReason() {
        String reason = Native.call(() -> LayerpruneNative.precision_unsupported_reason(code));
        return reason == null || reason.isEmpty() ? Optional.empty() : Optional.of(reason);
    }

    /** Parses a CLI name ("bf16") or an enum name ("BF16"), case-insensitively. */
    public static Precision fromName(String name) {
        for (Precision p : values()) {
            if (p.cliName.equalsIgnoreCase(name) || p.name().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("unknown precision '" + name + "', expected one of "
                + Arrays.stream(values()).map(Precision::cliName).collect(Collectors.joining(", ")));
    }

    /** The constant with native code {@code code}. */
    public static Precision fromCode(int code) {
        for (Precision p : values()) {
            if (p.code == code) {
                return p;
            }
        }
        throw new LayerpruneException("native core returned unknown precision kind " + code);
    }

    @Override
    public String toString() {
        return cliName;
    }
}
