#!/usr/bin/env python3
"""bf16 against fp32 for each pair run.sh ran: deterministic test accuracy, kept sections, training
FLOPs ratio, training seconds (without evaluations), and issue 15's criteria (main job within 0.3
points and the same sections kept or within one; ResNet-20 10k within 0.5 points). Writes compare.md."""
import json
import pathlib
import sys

here = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
out = ["| run | fp32 acc | bf16 acc | difference (points) | kept fp32 / bf16 | kept sections fp32 | kept sections bf16 | train s fp32 / bf16 | criterion | result |",
       "|---|---|---|---|---|---|---|---|---|---|"]
for name, limit in (("main", 0.3), ("resnet20-10k", 0.5), ("resnet20-10k-seed2", 0.5), ("resnet20-10k-seed3", 0.5)):
    try:
        a, b = (json.load(open(here / f"{name}-{p}.report.json")) for p in ("fp32", "bf16"))
    except FileNotFoundError:
        out.append(f"| {name} | (not run) |")
        continue
    fa, fb = a["final"], b["final"]
    if not fa or not fb:
        out.append(f"| {name} | (not finished) |")
        continue
    kept = lambda r: [s["index"] for s in r["sections"] if s.get("pruned_at_step") in (None, -1)]
    ka, kb = kept(a), kept(b)
    diff = 100 * (fb["test_accuracy"] - fa["test_accuracy"])
    secs = lambda f: f["seconds"] - (f.get("evaluation_seconds") or 0)
    ok = abs(diff) <= limit and (name != "main" or abs(fa["sections_kept"] - fb["sections_kept"]) <= 1)
    crit = f"within {limit} points" + (" and kept within one" if name == "main" else "")
    out.append(f"| {name} | {fa['test_accuracy']:.4f} | {fb['test_accuracy']:.4f} | {diff:+.2f} | "
               f"{fa['sections_kept']} / {fb['sections_kept']} | {ka} | {kb} | {secs(fa):.1f} / {secs(fb):.1f} | {crit} | "
               f"{'met' if ok else 'NOT met'} |")
text = "\n".join(out) + "\n"
(here / "compare.md").write_text(text)
print(text)
