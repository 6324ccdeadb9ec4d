#!/usr/bin/env python3
"""Issue 15's table from one run of run.sh: layerprune_bench medians (bench.json) beside libtorch's
figures (peers-results.txt, the better of the 'canon' and 'passive' configurations per workload, as
../shared/peers/README.md says), bf16 over FP32, and each step as a fraction of the peaks measured
in the same binary. Prints markdown and writes table.md next to the inputs."""
import json
import pathlib
import sys

here = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent)
runs = {b["run_name"]: b for b in json.load(open(here / "bench.json"))["benchmarks"] if b.get("aggregate_name") == "median"}


def counter(name, key):
    b = runs.get(name + "/real_time") or runs.get(name)
    return None if b is None else b.get(key)


peer = {}
peers_file = here / "peers-results.txt"
if peers_file.exists():
    for line in peers_file.read_text().splitlines():
        f = line.split("|")
        if len(f) >= 5 and f[0] in ("canon", "passive"):
            peer[f[1]] = max(peer.get(f[1], 0.0), float(f[3]))

fma = counter("BM_FmaPeak/iterations:3", "GFLOP/s")
bdot = counter("BM_Bf16DotPeak/iterations:3", "GFLOP/s")
rows = [  # label, our fp32 benchmark, our bf16 benchmark, peer workload
    ("MLP K=8 training step", "BM_TrainStep/K:8/gated:0/prefetch:1", "BM_TrainStepBf16/K:8/gated:0", "resmlp_K8"),
    ("MLP K=32 training step", "BM_TrainStep/K:32/gated:0/prefetch:1", "BM_TrainStepBf16/K:32/gated:0", "resmlp_K32"),
    ("MLP K=8, theta 0.5 (ours with estimator)", "BM_TrainStep/K:8/gated:1/prefetch:1", "BM_TrainStepBf16/K:8/gated:1",
     "resmlp_gated_p0.5_K8"),
    ("ResNet-20 1x28x28 batch 64 step", "BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:0",
     "BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:1", "resnet20_28x28"),
    ("MLP K=8 inference", "BM_Inference/K:8/bf16:0", "BM_Inference/K:8/bf16:1", "resmlp_K8_infer_nograd"),
]
out = []
out.append(f"FP32 FMA peak {fma:.0f} GFLOP/s; bf16 dot-product peak "
           + (f"{bdot:.0f} GFLOP/s" if bdot else "n/a") + " (same binary, all threads)\n")
out.append("| workload | ours FP32 samples/s | of FMA peak | libtorch | ours / libtorch | ours bf16 samples/s | bf16 / FP32 | bf16 of its peak |")
out.append("|---|---|---|---|---|---|---|---|")


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


for label, f32, b16, p in rows:
    s32, s16 = counter(f32, "samples/s"), counter(b16, "samples/s")
    g32, g16 = counter(f32, "GFLOP/s"), counter(b16, "GFLOP/s")
    torch = peer.get(p)
    out.append(f"| {label} | {fmt(s32, ',.0f')} | {fmt(g32 / fma if g32 else None, '.2f')} | {fmt(torch, ',.0f')} | "
               f"{fmt(s32 / torch if s32 and torch else None, '.2f')}x | {fmt(s16, ',.0f')} | "
               f"{fmt(s16 / s32 if s16 and s32 else None, '.2f')}x | {fmt(g16 / bdot if g16 and bdot else None, '.2f')} |")
gem = counter("BM_StepGemmsOnly/K:8", "of_peak")
if gem:
    out.append(f"\nThe K=8 step's GEMMs alone: {gem:.2f} of the FMA peak.")
text = "\n".join(out) + "\n"
(here / "table.md").write_text(text)
print(text)
