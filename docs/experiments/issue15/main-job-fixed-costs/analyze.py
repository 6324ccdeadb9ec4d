"""Issue 15 item 4: what of the main job's training time does not shrink with pruning?

Reads the main job's committed reports (the pruned run and its --no-gates baseline, side by side, one
native thread each: docs/experiments/issue12/run.sh main) and, per epoch, compares the wall time with the
training FLOPs. If part of an epoch's time did not shrink with the network (evaluation, data handling,
per-step JNI and bookkeeping), the pruned run's epochs would take longer than their FLOPs say:
the least-squares fit  seconds_e = a * TFLOPs_e + b  over the pruned run's epochs (whose FLOPs fall from
0.98x to 0.34x of the baseline's) would show a fixed cost b > 0 per epoch. Prints markdown.
Usage: python3 analyze.py [REPORT_DIR (default ../../issue12)]: reads REPORT_DIR/main.report.json and
main-nogates.report.json with their .steps.csv.gz.
"""
import csv, gzip, json, math, os, sys

here = os.path.dirname(os.path.abspath(__file__))
reports = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "issue12")


def per_epoch(name):
    last = {}
    with gzip.open(os.path.join(reports, name + ".report.steps.csv.gz"), "rt") as f:
        for row in csv.DictReader(f):
            if row["epoch"] != "0":
                last[int(row["epoch"])] = (float(row["seconds"]), float(row["cumulative_training_flops"]))
    out, prev = [], (0.0, 0.0)
    for e in sorted(last):
        out.append((e, last[e][0] - prev[0], last[e][1] - prev[1]))
        prev = last[e]
    return out


pruned, base = per_epoch("main"), per_epoch("main-nogates")
final = {n: json.load(open(os.path.join(reports, n + ".report.json")))["final"] for n in ("main", "main-nogates")}
threads = json.load(open(os.path.join(reports, "main.report.json")))["config"].get("threads")
print(f"Reports in {os.path.relpath(reports, here)} (threads {threads}):\n")
print("| run | wall s | of which evaluation s | training s | training FLOPs ratio |")
print("|---|---|---|---|---|")
for n, f in final.items():
    print(f"| {n} | {f['seconds']:.2f} | {f['evaluation_seconds']:.2f} | {f['seconds'] - f['evaluation_seconds']:.2f} "
          f"| {f['training_flops_ratio']:.3f} |")
fp, fb = final["main"], final["main-nogates"]
print(f"\nPruned over --no-gates: wall {fp['seconds'] / fb['seconds']:.3f}, training only "
      f"{(fp['seconds'] - fp['evaluation_seconds']) / (fb['seconds'] - fb['evaluation_seconds']):.3f}.\n")
print("| epoch | seconds (pruned) | seconds (--no-gates) | time ratio | FLOPs ratio |")
print("|---|---|---|---|---|")
for (e, t, f), (_, t0, f0) in zip(pruned, base):
    print(f"| {e} | {t:.2f} | {t0:.2f} | {t / t0:.3f} | {f / f0:.3f} |")
tot_t, tot_t0 = sum(t for _, t, _ in pruned), sum(t for _, t, _ in base)
tot_f, tot_f0 = sum(f for _, _, f in pruned), sum(f for _, _, f in base)
print(f"| all | {tot_t:.2f} | {tot_t0:.2f} | {tot_t / tot_t0:.3f} | {tot_f / tot_f0:.3f} |")

# Least squares seconds = a * TFLOPs + b with the standard error of b.
xs = [f / 1e12 for _, _, f in pruned]
ys = [t for _, t, _ in pruned]
n = len(xs)
mx, my = sum(xs) / n, sum(ys) / n
sxx = sum((x - mx) ** 2 for x in xs)
a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
b = my - a * mx
s2 = sum((y - a * x - b) ** 2 for x, y in zip(xs, ys)) / (n - 2)
se_b = math.sqrt(s2 * (1 / n + mx * mx / sxx))
base_rate = sum(t for _, t, _ in base) / (sum(f for _, _, f in base) / 1e12)
print(f"\nFit over the pruned run's {n} epochs: {a:.2f} s per training TFLOP (the --no-gates run: "
      f"{base_rate:.2f}), fixed cost b = {b:.2f} +- {se_b:.2f} s per epoch "
      f"({100 * b / (tot_t0 / n):+.1f} % of a --no-gates epoch).")

# The same pair through the native tool (no JVM), if run.sh ran it: what the Java side adds.
def native_seconds(name):
    path = os.path.join(reports, "native-" + name + ".log")
    if not os.path.exists(path):
        return None
    import re
    times = [float(t) for t in re.findall(r"epoch \d+/\d+ .*?, ([0-9.]+) s,", open(path).read())]
    return times[-1] if times else None

ns = {n: native_seconds(n) for n in ("main", "main-nogates")}
walls = {}
if os.path.exists(os.path.join(reports, "walls.tsv")):
    for line in open(os.path.join(reports, "walls.tsv")):
        name, sec = line.split("\t")
        walls[name] = float(sec)
if all(ns.values()):
    print("\nThe launcher's JVM (JIT at C1), the full JIT (-XX:TieredStopAtLevel=4) and the native tool (no JVM):\n")
    print("| run | CLI s (report) | CLI, full JIT s | native tool s | CLI / native | full JIT / native "
          "| process wall s: CLI, full JIT, native |")
    print("|---|---|---|---|---|---|---|")
    for n in ("main", "main-nogates"):
        full = n + "-fulljit"
        fs = json.load(open(os.path.join(reports, full + ".report.json")))["final"]["seconds"] \
            if os.path.exists(os.path.join(reports, full + ".report.json")) else float("nan")
        w = ", ".join(f"{walls.get(k, float('nan')):.2f}" for k in (n, full, "native-" + n))
        print(f"| {n} | {final[n]['seconds']:.2f} | {fs:.2f} | {ns[n]:.2f} | {final[n]['seconds'] / ns[n]:.3f} "
              f"| {fs / ns[n]:.3f} | {w} |")
    print(f"\nNative tool, pruned over --no-gates: {ns['main'] / ns['main-nogates']:.3f} (its own pruning "
          "schedule: the CLI's random streams differ, the same core and defaults).")

# Inside the pruned run's epochs: the median milliseconds per step between the steps CSV's rows, the
# slowest row interval, and the gap across each epoch boundary (evaluation, report, the first steps).
rows = []
with gzip.open(os.path.join(reports, "main.report.steps.csv.gz"), "rt") as f:
    for row in csv.DictReader(f):
        rows.append((int(row["step"]), float(row["seconds"]), row["epoch"]))
print("\n| epoch (pruned run) | median ms per step | slowest interval, ms per step | boundary gap into it, s |")
print("|---|---|---|---|")
per, gaps = {}, {}
for (s0, t0, e0), (s1, t1, e1) in zip(rows, rows[1:]):
    if e0 == e1:
        per.setdefault(e1, []).append(1000 * (t1 - t0) / (s1 - s0))
    else:
        gaps[e1] = t1 - t0
for e in sorted(per, key=int):
    v = sorted(per[e])
    print(f"| {e} | {v[len(v) // 2]:.2f} | {v[-1]:.1f} | {gaps.get(e, float('nan')):.3f} |")
