package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;

/** How theta follows its gradient estimates (docs/ALGORITHM.md "Pruning rule"). */
public enum PruningRule implements CliNamed {
    /**
     * The default: theta moves by the part of (running mean of the estimates + prior) that clears
     * {@code evidenceZ} standard errors, {@code etaTheta} per step for each tau_l of it.
     */
    EVIDENCE("evidence", LayerpruneNative.PRUNING_RULE_EVIDENCE),
    /** ALGORITHM.md section 4 as written: theta &lt;- clip(theta - etaTheta * estimate). */
    PLAIN("plain", LayerpruneNative.PRUNING_RULE_PLAIN);

    private final String cliName;
    private final int code;

    PruningRule(String cliName, int code) {
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

    /** Parses a CLI name ("evidence") or an enum name ("EVIDENCE"). */
    public static PruningRule fromName(String name) {
        return CliNamed.fromName(PruningRule.class, name, "pruning rule");
    }

    static PruningRule fromCode(int code) {
        return CliNamed.fromCode(PruningRule.class, code, "pruning rule");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
