"""What the budgeted estimator's re-runs measure, and where their noise comes from.

Reads the CSV of layerprune_estimator_trace (run.sh): every PROBE_EVERY steps of a training without
gates, B random batches, and for each batch and section the two-point difference
d = L(all on) - L(section off) and the linearized term c = <dL/dzbar, B(z)> (1e-3 nats below).
Prints markdown:
  1. per stage: mean d over the run's second half, and how well c follows d from batch to batch
     (correlation and slope of d on c within a probe step, pooled over the stage's sections);
  2. the noise of one re-run, split into the part that depends on the batch (the spread between the
     B batches of one probe step, after the control variate: r = d - beta c) and the part that does
     not: the drift of the section's mean residual over training, which a prediction from earlier
     re-runs (the budgeted estimator's running means) gets wrong by the more, the older they are.
Usage: python3 analyze.py TRACE.csv[.gz] [ROWS (batch size, default 128)]
"""
import collections, csv, gzip, math, statistics, sys

path = sys.argv[1]
rows_per_batch = int(sys.argv[2]) if len(sys.argv) > 2 else 128
data = collections.defaultdict(lambda: collections.defaultdict(list))  # section -> step -> [(d, c)]
for r in csv.DictReader(gzip.open(path, "rt") if path.endswith(".gz") else open(path)):
    data[int(r["section"])][int(r["step"])].append((1e3 * float(r["d"]), 1e3 * float(r["lin"])))
sections = sorted(data)
steps = sorted({s for l in sections for s in data[l]})
per_stage = len(sections) // 3
stage_of = lambda l: min(l // per_stage, 2) + 1


def within(points):
    """Deviations from the probe step's mean, pooled: (dd, dc) pairs."""
    out = []
    for step_points in points:
        if len(step_points) < 2:
            continue
        md = statistics.fmean(p[0] for p in step_points)
        mc = statistics.fmean(p[1] for p in step_points)
        out += [(p[0] - md, p[1] - mc, len(step_points)) for p in step_points]
    return out


def slope_corr(dev):
    sxx = sum(c * c for _, c, _ in dev)
    sxy = sum(d * c for d, c, _ in dev)
    syy = sum(d * d for d, _, _ in dev)
    return (sxy / sxx if sxx else 0.0), (sxy / math.sqrt(sxx * syy) if sxx and syy else 0.0)


half = steps[len(steps) // 2]
print(f"Trace: {len(steps)} probe steps ({steps[0]}-{steps[-1]}), {len(sections)} sections, "
      f"{max(len(v) for l in sections for v in data[l].values())} batches of {rows_per_batch} per probe.\n")
print("## 1. What the sections buy, and how well the linearized term follows\n")
print("| stage | sections | mean d, second half (min .. max over sections) | mean c, second half "
      "| corr(d, c) within a step | slope of d on c |")
print("|---|---|---|---|---|---|")
for st in (1, 2, 3):
    ls = [l for l in sections if stage_of(l) == st]
    means = [statistics.fmean(p[0] for s, pts in data[l].items() if s >= half for p in pts) for l in ls]
    c_mean = statistics.fmean(p[1] for l in ls for s, pts in data[l].items() if s >= half for p in pts)
    dev = [x for l in ls for x in within(data[l].values())]
    b, rho = slope_corr(dev)
    print(f"| {st} | {ls[0]}-{ls[-1]} | {statistics.fmean(means):.1f} ({min(means):.1f} .. {max(means):.1f}) "
          f"| {c_mean:.1f} | {rho:.2f} | {b:.2f} |")

print("\n## 2. Where one re-run's noise comes from (second half of the run)\n")
print("Per section, in (1e-3 nats)^2, with r = d - beta c (beta: the section's within-step slope, the "
      "control variate) and R_l(t) the probe step's mean of r over its batches. Batch part: the within-step "
      f"variance of d and of r, for one batch of {rows_per_batch} rows. Drift part at lag k steps: "
      "E[(R_l(t) - R_l(t - k))^2] / 2 less the batch part the two means carry (the variogram of the "
      "section's mean residual, what a prediction from a re-run k steps old gets wrong). Medians over "
      "sections.\n")
gap = steps[2] - steps[1]
lags = [k for k in (1, 5, 10, 20) if k * gap <= (steps[-1] - half)]
print("| stage | batch var of d | batch var of r | " + " | ".join(f"drift of R, lag {k * gap}" for k in lags) + " |")
print("|---|---|---|" + "---|" * len(lags))
for st in (1, 2, 3):
    ls = [l for l in sections if stage_of(l) == st]
    vd, vr, drift = [], [], {k: [] for k in lags}
    for l in ls:
        late = {s: pts for s, pts in data[l].items() if s >= half}
        b, _ = slope_corr(within(data[l].values()))
        dev = within(late.values())
        n_b = dev[0][2]
        dof = max(1, len(dev) - len(late))
        var_d = sum(d * d for d, _, _ in dev) / dof
        var_r = sum((d - b * c) ** 2 for d, c, _ in dev) / dof
        vd.append(var_d)
        vr.append(var_r)
        R = {s: statistics.fmean(p[0] - b * p[1] for p in pts) for s, pts in data[l].items()}
        for k in lags:
            sq = [(R[s] - R[s - k * gap]) ** 2 for s in late if s - k * gap in R and s - k * gap > 1]
            drift[k].append(statistics.fmean(sq) / 2 - var_r / n_b if sq else float("nan"))
    cells = " | ".join(f"{statistics.median(drift[k]):.1f}" for k in lags)
    print(f"| {st} | {statistics.median(vd):.1f} | {statistics.median(vr):.1f} | {cells} |")
