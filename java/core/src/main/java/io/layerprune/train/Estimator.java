package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;

/**
 * Estimators of the data part of dJ/dtheta (ALGORITHM.md section 3), all four implemented natively.
 * Budgeted (the default) and two-point are unbiased; score-function is unbiased with a higher variance; the
 * linearized ones are biased first-order heuristics.
 */
public enum Estimator implements CliNamed {
    /**
     * The default: unbiased two-point re-runs drawn by cost within a FLOP budget
     * ({@link TrainConfig#estimatorBudget()}), with the linearized term as control variate.
     */
    BUDGETED("budgeted", LayerpruneNative.ESTIMATOR_BUDGETED),
    /** Unbiased two-point difference on a random subset of the live sections. */
    TWO_POINT("two-point", LayerpruneNative.ESTIMATOR_TWO_POINT),
    /** Unbiased score-function (REINFORCE) estimate with a running-mean baseline. */
    SCORE_FUNCTION("score-function", LayerpruneNative.ESTIMATOR_SCORE_FUNCTION),
    /** Biased first-order (Taylor) estimate. */
    LINEARIZED("linearized", LayerpruneNative.ESTIMATOR_LINEARIZED),
    /** Biased first-order estimate that skips sections with xi = 0. */
    LINEARIZED_SKIP("linearized-skip", LayerpruneNative.ESTIMATOR_LINEARIZED_SKIP);

    private final String cliName;
    private final int code;

    Estimator(String cliName, int code) {
        this.cliName = cliName;
        this.code = code;
    }

    /** The name used on the command line and in reports, e.g. "two-point". */
    @Override
    public String cliName() {
        return cliName;
    }

    @Override
    public int code() {
        return code;
    }

    /** Parses a CLI name ("two-point") or an enum name ("TWO_POINT"). */
    public static Estimator fromName(String name) {
        return CliNamed.fromName(Estimator.class, name, "estimator");
    }

    static Estimator fromCode(int code) {
        return CliNamed.fromCode(Estimator.class, code, "estimator");
    }

    @Override
    public String toString() {
        return cliName;
    }
}
