package io.layerprune.model;

/**
 * A snapshot of one gated section (ALGORITHM.md section 1).
 *
 * @param index section index l, 0-based
 * @param inWidth width entering the section
 * @param outWidth width leaving it
 * @param weights n_l: matrix weights of the prunable part (biases excluded)
 * @param hasProjection whether the skip is a learned projection (else the identity)
 * @param theta keep probability theta_l
 * @param pruned whether the section has been removed
 * @param prunedAtStep step at which it was removed, -1 if it was not
 * @param weightNorm2 ||W_l||^2 (0 once pruned)
 */
public record SectionState(int index, long inWidth, long outWidth, long weights, boolean hasProjection, double theta,
        boolean pruned, long prunedAtStep, double weightNorm2) {}
