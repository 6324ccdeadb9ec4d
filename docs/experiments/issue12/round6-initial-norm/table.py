"""Round 6 table from the logs of run.sh: validation accuracy, kept sections, FLOPs, final training loss,
and from the last epoch's evidence trace how many live sections the rule could decide (mean + prior
clears z = 2 standard errors of both windows, in either direction) and the median standard error
against the median threshold (1e-3 nats; a section never re-run in its gate state has SE inf and
counts as the largest)."""
import glob, json, re, statistics, sys

here = sys.argv[1] if len(sys.argv) > 1 else "."
print("| run | val acc (deterministic) | kept | training FLOPs | final training loss | decidable sections "
      "| median SE / median tau (1e-3 nats) |")
print("|---|---|---|---|---|---|---|")
for path in sorted(glob.glob(f"{here}/*.log")):
    text = open(path).read()
    result = [json.loads(l[7:]) for l in text.splitlines() if l.startswith("RESULT ")]
    if not result:
        continue
    r = result[0]
    epochs = [l for l in text.splitlines() if re.match(r"\[.*\] epoch ", l)]
    loss = float(re.search(r"loss ([0-9.]+)", epochs[-1]).group(1))
    trace = text.split(epochs[-1])[1].split("RESULT")[0]
    rows = re.findall(r"mean +(-?[0-9.]+) se +(\S+) +long +(-?[0-9.]+) se +(\S+) +prior +(-?[0-9.]+) tau +(-?[0-9.]+)", trace)
    decidable, ses, taus = 0, [], []
    for mean, se, long_mean, long_se, prior, tau in rows:
        m, s, lm, ls, p = float(mean), float(se), float(long_mean), float(long_se), float(prior)
        if abs(m + p) > 2 * s and abs(lm + p) > 2 * ls and (m + p) * (lm + p) > 0:
            decidable += 1
        ses.append(s)
        taus.append(float(tau))
    name = path.rsplit("/", 1)[1][:-4]
    gated = not name.endswith("nogates")
    se_tau = f"{statistics.median(ses):.1f} / {statistics.median(taus):.1f}" if gated and rows else "-"
    print(f"| {name} | {r['val_acc_det']:.4f} | {r['kept']} / {r['sections']} | {r['flops_ratio']:.3f} "
          f"| {loss:.4f} | {decidable if gated else '-'} | {se_tau} |")
