package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;

/** Which ||W_l||^2 the prior reads (docs/ALGORITHM.md section 2, "Prior"). */
public enum PriorNorm implements CliNamed {
    /** ALGORITHM.md section 2 as written: the weights' current norm; the prior also pulls W_l (MLP default). */
    CURRENT("current", LayerpruneNative.PRIOR_NORM_CURRENT),
    /**
     * The initialisation's expected norm, a constant (ResNet default): in a body with batch norm the
     * weights' norm can shrink without changing the function, and the threshold with it. The prior
     * then acts on theta only and W_l trains as in a --no-gates run.
     */
    INITIAL("initial", LayerpruneNative.PRIOR_NORM_INITIAL);

    private final String cliName;
    private final int code;

    PriorNorm(String cliName, int code) {
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

    /** Parses a CLI name ("initial") or an enum name ("INITIAL"). */
    public static PriorNorm fromName(String name) {
        return CliNamed.fromName(PriorNorm.class, name, "prior norm");
    }

    static PriorNorm fromCode(int code) {
        return CliNamed.fromCode(PriorNorm.class, code, "prior norm");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
