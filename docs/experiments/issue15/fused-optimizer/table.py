"""Medians of the before/after rounds of run.sh and their ratio (after over before, samples/s)."""
import glob, json, statistics, sys

here = sys.argv[1]
rates = {}
for path in sorted(glob.glob(f"{here}/*-*.json")):
    side = path.rsplit("/", 1)[1].split("-")[0]
    for b in json.load(open(path))["benchmarks"]:
        rates.setdefault(b["name"], {}).setdefault(side, []).append(b["samples/s"])
print("| benchmark | before samples/s | after samples/s | after / before | rounds |")
print("|---|---|---|---|---|")
for name, sides in sorted(rates.items()):
    b, a = statistics.median(sides["before"]), statistics.median(sides["after"])
    print(f"| {name} | {b:,.0f} | {a:,.0f} | {a / b:.3f} | {len(sides['before'])} |")
