"""Round 8's table: validation accuracy (deterministic) per variant and seed, and each variant's
difference to --no-gates, paired by seed, with its mean and standard error over the seeds."""
import glob, json, os, statistics, sys

here = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
acc = {}
for path in glob.glob(os.path.join(here, "*.log")):
    for line in open(path):
        if line.startswith("RESULT "):
            r = json.loads(line[7:])
            variant, seed = r["label"].rsplit("-s", 1)
            acc.setdefault(variant, {})[int(seed)] = (r["val_acc_det"], r.get("kept"), r.get("flops_ratio"))
base = acc.get("nogates", {})
print("| variant | val acc, seeds 1-3 | kept | minus --no-gates (points), per seed | mean +- SE |")
print("|---|---|---|---|---|")
for v in ("nogates", "default", "rest999"):
    if v not in acc:
        continue
    seeds = sorted(acc[v])
    d = [100 * (acc[v][s][0] - base[s][0]) for s in seeds if s in base]
    se = statistics.stdev(d) / len(d) ** 0.5 if len(d) > 1 else float("nan")
    print(f"| {v} | {', '.join(f'{acc[v][s][0]:.4f}' for s in seeds)} | {', '.join(str(acc[v][s][1]) for s in seeds)} "
          f"| {', '.join(f'{x:+.2f}' for x in d)} | {statistics.mean(d):+.2f} +- {se:.2f} |")
