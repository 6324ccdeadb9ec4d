#!/usr/bin/env python3
"""Aggregates run.sh's ONEDNN_VERBOSE=profile_exec lines: per (kind, propagation, implementation),
the share of all oneDNN time, the calls and the mean ms per call, for FP32 (bf16-0) and bf16 (bf16-1)."""
import collections
import pathlib
import sys

here = pathlib.Path(sys.argv[1])
for b, label in (("0", "FP32"), ("1", "bf16")):
    t, n = collections.Counter(), collections.Counter()
    for line in open(here / f"verbose-bf16-{b}.txt"):
        f = line.strip().split(",")
        i = f.index("exec")
        key = (f[i + 2], f[i + 4], f[i + 3].split(":")[0] + ":" + f[i + 3].split(":")[1] if ":" in f[i + 3] else f[i + 3])
        t[key] += float(f[-1])
        n[key] += 1
    total = sum(t.values())
    print(f"\n{label}: {total:.1f} ms of oneDNN time\n")
    print("| share | calls | ms per call | kind | propagation | implementation |\n|---|---|---|---|---|---|")
    for k, v in t.most_common(10):
        print(f"| {100 * v / total:.1f} % | {n[k]} | {v / n[k]:.3f} | {k[0]} | {k[1]} | {k[2]} |")
