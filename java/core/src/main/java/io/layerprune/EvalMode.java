package io.layerprune;

import io.layerprune.bindings.LayerpruneNative;

/** How the gates are set when a model is evaluated (ALGORITHM.md section 5). */
public enum EvalMode {
    /** The expected network: every gate xi_l replaced by theta_l. Used during training. */
    EXPECTED(LayerpruneNative.EVAL_EXPECTED),
    /** The deterministic network: xi_l = 1 where theta_l >= 0.5, else the section is off. */
    DETERMINISTIC(LayerpruneNative.EVAL_DETERMINISTIC);

    private final int code;

    EvalMode(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }
}
