"""How early, and on how much evidence, ResNet-56 would have to decide to meet issue 12's FLOPs goal.

Reads two committed artefacts and derives everything from them:
  ../resnet56.report.steps.csv.gz        (round 3, ResNet-56, 60k x 10): the forward FLOPs per sample at
                                          two uniform gate vectors give the network's fixed FLOPs and the
                                          sections' total (flops_per_sample = fixed + theta * sum_l F_l)
  ../round6-initial-norm/r56-20k-initial.log (validation run, 20k x 10, initial-norm prior): per epoch and
                                          section the evidence's mean, its standard errors (recent and long
                                          window), the prior gradient and tau, in 1e-3 nats
Prints markdown (README.md quotes it). Usage: python3 analyze.py [LOG ...] [> table.md] (LOG: native_train
--trace-evidence logs for part B, default the round-6 run above)
"""
import csv, gzip, math, os, re, statistics, sys

here = os.path.dirname(os.path.abspath(__file__))
GOAL = 0.7  # cumulative training FLOPs at most 0.7x of --no-gates (issue 12, ResNet-56)

# --- A: how late may k sections go? ----------------------------------------------------------------
with gzip.open(os.path.join(here, "..", "resnet56.report.steps.csv.gz"), "rt") as f:
    rows = list(csv.DictReader(f))
def uniform_theta(row):
    thetas = {float(v) for k, v in row.items() if k.startswith("theta_") and v}
    return thetas.pop() if len(thetas) == 1 else None
pts = [(uniform_theta(r), float(r["flops_per_sample"])) for r in rows[:50]]
pts = [(t, fl) for t, fl in pts if t is not None]
(t0, f0), (t1, f1) = pts[0], next(p for p in pts if p[0] != pts[0][0])
body = (f0 - f1) / (t0 - t1)
fixed = f0 - t0 * body
sections = sum(1 for k in rows[0] if k.startswith("theta_"))
share = body / sections / (fixed + body)
need = (1 - GOAL) / share
print("## A. When the sections must go\n")
print(f"ResNet-56 forward: {(fixed + body) / 1e6:.1f} MFLOPs per sample, of which the {sections} sections "
      f"{body / 1e6:.1f} M (stem and head {fixed / 1e6:.2f} M); one section is on average {100 * share:.2f} % "
      f"of a training step. Removing section k at fraction f_k of the run saves {100 * share:.2f} % x (1 - f_k), "
      f"so {GOAL}x needs sum_k (1 - f_k) >= {need:.2f} (the estimator's spending and the rest point's "
      "savings, about 2 % each, left out).\n")
print("| sections pruned together | latest fraction of the run | latest epoch of 10 |")
print("|---|---|---|")
for k in (9, 10, 12, 14, 16, 18, 20, 27):
    f = 1 - need / k
    print(f"| {k} | {f:.2f} | {10 * f:.1f} |" if f > 0 else f"| {k} | impossible | - |")

# --- B: what the evidence said, epoch by epoch ---------------------------------------------------
row = re.compile(r"s(\d+) +theta +(\S+) +mean +(-?[0-9.]+) se +(\S+) +long +(-?[0-9.]+) se +(\S+) "
                 r"+prior +(-?[0-9.]+) tau +(-?[0-9.]+)")


def evidence_by_epoch(path):
    blocks = re.split(r"^\[[^\]]*\] epoch (\d+)/(\d+) .*$", open(path).read(), flags=re.M)
    epochs = []
    for i in range(1, len(blocks) - 2, 3):
        secs = {}
        for m in row.finditer(blocks[i + 2].split("RESULT")[0]):
            l, _, mean, se, lmean, lse, prior, tau = m.groups()
            secs[int(l)] = dict(x=float(mean) + float(prior), xl=float(lmean) + float(prior),
                                se=float(se), sel=float(lse), tau=float(tau))
        epochs.append((int(blocks[i]), secs))
    return epochs


def candidates(secs):
    return {l for l, s in secs.items()
            if s["xl"] > 0 and s["x"] > 0 and math.isfinite(s["se"]) and math.isfinite(s["sel"])}


logs = sys.argv[1:] or [os.path.join(here, "..", "round6-initial-norm", "r56-20k-initial.log")]
for log in logs:
    epochs = evidence_by_epoch(log)
    final_candidates = candidates(epochs[-1][1])
    print(f"\n## B. Which sections the evidence called useless, epoch by epoch ({os.path.basename(log)})\n")
    print("A candidate is a live section with finite standard errors whose estimate plus prior gradient is > 0 "
          "in both windows (on the point estimate it does not pay for its threshold). 'Decidable' adds the rule's "
          "test: both windows clear 2 standard errors. 'Re-runs needed' is the median over candidates of "
          "(2 SE / x)^2 for the binding window: the factor by which the re-runs so far would have to grow for the "
          "rule to decide them.\n")
    print("| epoch | candidates | of which also candidates at the end | decidable | re-runs needed (median factor) |")
    print("|---|---|---|---|---|")
    for e, secs in epochs:
        cand = candidates(secs)
        dec = {l for l in cand if secs[l]["x"] > 2 * secs[l]["se"] and secs[l]["xl"] > 2 * secs[l]["sel"]}
        factors = [max((2 * secs[l]["se"] / secs[l]["x"]) ** 2, (2 * secs[l]["sel"] / secs[l]["xl"]) ** 2)
                   for l in cand]
        fac = f"{statistics.median(factors):.1f}" if factors else "-"
        print(f"| {e} | {len(cand)} | {len(cand & final_candidates)} | {len(dec)} | {fac} |")
    print(f"\nCandidates at the end: {len(final_candidates)} of {len(epochs[-1][1])} live sections "
          f"({', '.join('s%d' % l for l in sorted(final_candidates))}).")
