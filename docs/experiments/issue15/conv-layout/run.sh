#!/usr/bin/env bash
# Issue 15 item 1, the activation layout: BM_ConvLayout (native/bench/conv_layout_bench.cpp), NHWC
# against the primitives' own (blocked) layout on the ResNet stages' 3x3 convolutions, 2 threads,
# 6 repetitions in random interleaved order, medians; table.md from bench.json.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="${BENCH:-$here/../../../../target/native/bin/layerprune_bench}"
"$bench" --benchmark_filter=BM_ConvLayout --benchmark_repetitions=6 --benchmark_enable_random_interleaving=true \
  --benchmark_min_time=0.5 --benchmark_out="$here/bench.json" --benchmark_out_format=json > /dev/null
python3 - "$here/bench.json" <<'PY' | tee "$here/table.md"
import json, sys, re
runs = json.load(open(sys.argv[1]))["benchmarks"]
med = {}
labels = {}
for r in runs:
    if r.get("aggregate_name") == "median":
        med[r["run_name"]] = r["real_time"]
    elif "label" in r:
        labels[r["run_name"]] = r["label"]
print("| convolution (3x3, stride 1) | NHWC ms | blocked ms | blocked / NHWC | kernels: NHWC ; blocked |")
print("|---|---|---|---|---|")
for name in med:
    m = re.match(r"BM_ConvLayout/C:(\d+)/HW:(\d+)/N:(\d+)/blocked:0", name)
    if not m:
        continue
    other = name.replace("blocked:0", "blocked:1")
    print(f"| C=K={m[1]}, {m[2]}x{m[2]}, batch {m[3]} | {med[name]:.3f} | {med[other]:.3f} | "
          f"{med[other] / med[name]:.3f} | {labels.get(name, '')} ; {labels.get(other, '')} |")
PY
