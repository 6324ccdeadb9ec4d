#!/usr/bin/env python3
"""docs/SCALING.md's model of data-parallel step time, from this folder's measurements.

Per step each rank computes its share of the batch, then the ranks all-reduce one buffer of
`floats` float32 values (weight gradients, BN running statistics, the estimator's numbers, loss)
with a ring all-reduce, which no computation overlaps (the trainer reduces after backward and the
estimator's re-runs):
    T_ar(W) = 2 (W - 1) / W * 4 floats / bandwidth + 2 (W - 1) * latency
Weak scaling (each machine keeps a batch of 128 rows, the global batch grows with W):
    E(W) = T_c / (T_c + T_ar(W))
Strong scaling (the global batch stays 128 rows, each machine gets 128 / W):
    E(W) = T_c / (T_c + W T_ar(W))
T_c: one training step of 128 rows on one machine like this one (2 cores), from results.jsonl
(1 rank x 2 threads: 128 / samples per second), the floats from its 2-rank run. Pruned: T_c scaled by the pruned network's share
of the FLOPs and floats of its parameters, from the issue-12 reports named below.
Prints a Markdown table: the largest W with E >= 0.8 for each case and link speed.
"""
import json
import pathlib
import sys

here = pathlib.Path(__file__).resolve().parent
issue12 = here.parent / "issue12"
LATENCY = 20e-6  # seconds per message hop (an assumption: TCP on a LAN, 10-50 us)
LINKS = {"10 Gb/s": 10e9 / 8, "25 Gb/s": 25e9 / 8, "100 Gb/s": 100e9 / 8}


def results():
    rows = {}
    for line in (here / "results.jsonl").read_text().splitlines():
        r = json.loads(line)
        rows[r["label"]] = r
    return rows


def pruned_share(report):
    f = json.loads((issue12 / report).read_text())["final"]
    return f["flops_per_sample"] / f["flops_per_sample_initial"], f["params"] / f["params_initial"]


def t_ar(floats, w, bandwidth):
    return 2 * (w - 1) / w * 4 * floats / bandwidth + 2 * (w - 1) * LATENCY


def largest(t_c, floats, bandwidth, strong):
    best = 1
    for w in range(2, 100001):
        e = t_c / (t_c + (w if strong else 1) * t_ar(floats, w, bandwidth))
        if e < 0.8:
            break
        best = w
    return best


def main():
    r = results()
    cases = []
    for name, label, report in [("main job", "main-nogates", "main.report.json"),
                                ("ResNet-56", "resnet56-nogates", "resnet56.report.json")]:
        t_c = 128 / r[label + "-1x2"]["samples_per_second"]  # one machine's step
        floats = r[label + "-2x1"]["reduce_floats"]  # what the step's all-reduce carries
        cases.append((name + ", unpruned", t_c, floats))
        flops_share, param_share = pruned_share(report)
        cases.append((f"{name}, pruned as in issue 12 ({flops_share:.2f} of the FLOPs, {param_share:.2f} of the "
                      "parameters)", t_c * flops_share, floats * param_share))
    print("| network | step (128 rows, 2 cores) | floats all-reduced | " +
          " | ".join(f"weak, {k}" for k in LINKS) + " | " + " | ".join(f"strong, {k}" for k in LINKS) + " |")
    print("|---|---|---|" + "---|" * (2 * len(LINKS)))
    for name, t_c, floats in cases:
        weak = [str(largest(t_c, floats, b, False)) for b in LINKS.values()]
        strong = [str(largest(t_c, floats, b, True)) for b in LINKS.values()]
        print(f"| {name} | {1e3 * t_c:.2f} ms | {floats / 1e6:.2f} M ({4 * floats / 1e6:.1f} MB) | " +
              " | ".join(weak) + " | " + " | ".join(strong) + " |")


if __name__ == "__main__":
    sys.exit(main())
