"""Medians of the before/after rounds of before_after.sh and their ratio (after over before, samples/s)."""
import glob, json, statistics, sys

here = sys.argv[1]
rates = {}
def round_of(path):
    return int(path.rsplit("-", 1)[1].split(".")[0])
for path in sorted(glob.glob(f"{here}/*-*.json"), key=round_of):
    side = path.rsplit("/", 1)[1].split("-")[0]
    for b in json.load(open(path))["benchmarks"]:
        rates.setdefault(b["name"], {}).setdefault(side, []).append(b["samples/s"])
# Each round runs before then after back to back, so the per-round ratio cancels the slow drifts of a
# shared machine; its spread (min-max) says how large a change this run can resolve.
print("| benchmark | before samples/s | after samples/s | after / before (medians) "
      "| paired ratio median | paired min-max | rounds |")
print("|---|---|---|---|---|---|---|")
for name, sides in sorted(rates.items()):
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    paired = [x / y for x, y in zip(sides["after"], sides["before"])]
    print(f"| {name} | {b:,.0f} | {a:,.0f} | {a / b:.3f} | {statistics.median(paired):.3f} "
          f"| {min(paired):.2f}-{max(paired):.2f} | {len(sides['before'])} |")
