package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;

/** How the prior's strength is shared out among sections (docs/ALGORITHM.md "Prior"). */
public enum PriorScaling implements CliNamed {
    /**
     * The default: section l's threshold tau_l is proportional to its forward FLOPs (lambda_l =
     * lambda n_max F_l / (n_l F_max)); every section of a ResNet must buy the same loss reduction.
     */
    PER_FLOP("per-flop", LayerpruneNative.PRIOR_PER_FLOP),
    /** ALGORITHM.md section 2 as written: one lambda, tau_l proportional to the section's weights n_l. */
    PER_WEIGHT("per-weight", LayerpruneNative.PRIOR_PER_WEIGHT);

    private final String cliName;
    private final int code;

    PriorScaling(String cliName, int code) {
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

    /** Parses a CLI name ("per-flop") or an enum name ("PER_FLOP"). */
    public static PriorScaling fromName(String name) {
        return CliNamed.fromName(PriorScaling.class, name, "prior scaling");
    }

    static PriorScaling fromCode(int code) {
        return CliNamed.fromCode(PriorScaling.class, code, "prior scaling");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
