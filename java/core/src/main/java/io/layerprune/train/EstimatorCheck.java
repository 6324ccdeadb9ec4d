package io.layerprune.train;

import io.layerprune.bindings.LayerpruneNative;
import io.layerprune.data.Dataset;
import io.layerprune.internal.Checks;
import io.layerprune.internal.Native;
import io.layerprune.internal.NativeHandle;
import io.layerprune.model.Model;
import java.util.Arrays;
import java.util.Objects;

/**
 * One estimator against the exact expectation over all 2^L gate patterns (ALGORITHM.md section 3),
 * from {@link #run}. Arrays hold one value per section (index = section).
 *
 * @param estimator the estimator checked
 * @param fraction two-point: fraction of the live sections re-run
 * @param rows samples of the data set used (the first {@code rows})
 * @param samples Monte-Carlo draws of the gate vector xi
 * @param expectedLoss E_xi[L], the exact expected mean loss on those rows
 * @param exact exact data part of dJ/dtheta_l: E_{xi_-l}[L(xi_l=1) - L(xi_l=0)]
 * @param mean the estimator's mean over the draws
 * @param stddev the estimator's per-sample standard deviation over the draws
 * @param prior the prior part of dJ/dtheta_l (for the lambda, s2 and N given)
 * @param costPerStep mean FLOPs of the estimator's extra passes per draw, as a fraction of one
 *     training step of the network on those rows
 */
public record EstimatorCheck(Estimator estimator, double fraction, long rows, long samples, double expectedLoss,
        double[] exact, double[] mean, double[] stddev, double[] prior, double costPerStep) {

    public EstimatorCheck {
        exact = exact.clone();
        mean = mean.clone();
        stddev = stddev.clone();
        prior = prior.clone();
    }

    /** Most sections {@link #run} can enumerate (2^16 gate patterns). */
    public static final int MAX_SECTIONS = 16;

    /**
     * Checks an estimator of the data part of dJ/dtheta against the exact expectation over all
     * 2^L gate patterns (ALGORITHM.md section 3) at the model's current weights and theta, on the
     * first {@code rows} samples of {@code data}. Overwrites the model's workspace only.
     *
     * @param fraction two-point: fraction of the live sections re-run; budgeted: its FLOP budget; in (0, 1]
     * @param samples Monte-Carlo draws of the gate vector (>= 2)
     * @param seed seed of the draws
     * @param lambda prior strength for the prior part (>= 0)
     * @param s2 per-weight variance floor (> 0)
     * @param nTrain N of the objective (> 0)
     * @throws IllegalArgumentException for bad arguments or more than {@value #MAX_SECTIONS} sections
     */
    public static EstimatorCheck run(Model model, Dataset data, long rows, Estimator estimator, double fraction,
            long samples, long seed, double lambda, double s2, double nTrain) {
        Objects.requireNonNull(model, "model");
        LayerpruneNative.Model m = NativeHandle.pointer(model, LayerpruneNative.Model.class);
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(estimator, "estimator");
        Checks.compatible(data.name(), data.dim(), data.classes(), model.inputSize(), model.classes(), "the model");
        int n = model.sections();
        if (n > MAX_SECTIONS) {
            throw new IllegalArgumentException("exact enumeration needs at most " + MAX_SECTIONS
                    + " sections, the model has " + n);
        }
        if (rows <= 0 || rows > data.size()) {
            throw new IllegalArgumentException("rows must be in [1, " + data.size() + "] (the data set's size), got "
                    + rows);
        }
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        if (samples < 2) {
            throw new IllegalArgumentException("samples must be >= 2 (a standard deviation needs two), got " + samples);
        }
        if (!(lambda >= 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be >= 0, got " + lambda);
        }
        if (!(s2 > 0) || !Double.isFinite(s2)) {
            throw new IllegalArgumentException("s2 must be > 0, got " + s2);
        }
        if (!(nTrain > 0) || !Double.isFinite(nTrain)) {
            throw new IllegalArgumentException("nTrain must be > 0, got " + nTrain);
        }
        LayerpruneNative.Dataset d = NativeHandle.pointer(data, LayerpruneNative.Dataset.class);
        double[] exact = new double[n];
        double[] mean = new double[n];
        double[] stddev = new double[n];
        double[] prior = new double[n];
        double[] cost = new double[1];
        double loss = Native.callDouble(() -> LayerpruneNative.estimator_check(m, d, rows, estimator.code(), fraction,
                samples, seed, lambda, s2, nTrain, exact, mean, stddev, prior, cost));
        return new EstimatorCheck(estimator, fraction, rows, samples, loss, exact, mean, stddev, prior, cost[0]);
    }

    /** Number of sections. */
    public int sections() {
        return exact.length;
    }

    @Override
    public double[] exact() {
        return exact.clone();
    }

    @Override
    public double[] mean() {
        return mean.clone();
    }

    @Override
    public double[] stddev() {
        return stddev.clone();
    }

    @Override
    public double[] prior() {
        return prior.clone();
    }

    /**
     * Variance of section l's estimate at a cost of one training step: stddev^2 x costPerStep
     * (averaging k independent draws divides the variance by k and multiplies the cost by k),
     * so estimators of different cost compare at equal cost. NaN for an estimator with no
     * extra passes (its cost is part of the step already).
     */
    public double varianceAtOneStep(int l) {
        return costPerStep > 0 ? stddev[l] * stddev[l] * costPerStep : Double.NaN;
    }

    /** {@link #varianceAtOneStep} averaged over the sections. */
    public double meanVarianceAtOneStep() {
        double sum = 0;
        for (int l = 0; l < sections(); l++) {
            sum += varianceAtOneStep(l);
        }
        return sum / sections();
    }

    /** mean - exact of section l. */
    public double bias(int l) {
        return mean[l] - exact[l];
    }

    /** Standard error of the mean of section l: stddev / sqrt(samples). */
    public double stderr(int l) {
        return stddev[l] / Math.sqrt(samples);
    }

    /** max_l |exact_l|, the scale relative biases are measured against. */
    public double maxAbsExact() {
        return Arrays.stream(exact).map(Math::abs).max().orElse(0);
    }

    /** bias(l) / max_k |exact_k| (NaN if every exact value is 0). */
    public double relativeBias(int l) {
        double scale = maxAbsExact();
        return scale > 0 ? bias(l) / scale : Double.NaN;
    }

    /** Whether |bias(l)| is within {@code k} standard errors (an unbiased estimator passes at k = 4 almost surely). */
    public boolean withinStandardErrors(int l, double k) {
        return Math.abs(bias(l)) <= k * stderr(l);
    }

    /** max_l |relativeBias(l)|. */
    public double maxAbsRelativeBias() {
        double m = 0;
        for (int l = 0; l < exact.length; l++) {
            m = Math.max(m, Math.abs(relativeBias(l)));
        }
        return m;
    }

    /** Mean over sections of the per-sample standard deviation. */
    public double meanStddev() {
        return Arrays.stream(stddev).average().orElse(Double.NaN);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EstimatorCheck c && estimator == c.estimator && fraction == c.fraction && rows == c.rows
                && samples == c.samples && Double.compare(expectedLoss, c.expectedLoss) == 0
                && Arrays.equals(exact, c.exact) && Arrays.equals(mean, c.mean) && Arrays.equals(stddev, c.stddev)
                && Arrays.equals(prior, c.prior);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(new Object[] {estimator, fraction, rows, samples, expectedLoss,
            Arrays.hashCode(exact), Arrays.hashCode(mean), Arrays.hashCode(stddev), Arrays.hashCode(prior)});
    }

    @Override
    public String toString() {
        return "EstimatorCheck[" + estimator + ", fraction=" + fraction + ", rows=" + rows + ", samples=" + samples
                + ", expectedLoss=" + expectedLoss + ", exact=" + Arrays.toString(exact) + ", mean="
                + Arrays.toString(mean) + ", stddev=" + Arrays.toString(stddev) + ", prior="
                + Arrays.toString(prior) + "]";
    }
}
