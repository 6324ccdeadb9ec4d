#!/usr/bin/env bash
# Issue 15 item 1, the ReLU fused into the passes next to it on convolutional networks: batch norm's
# forward writes ReLU(BN(x)) and its backward reads the incoming gradient through the ReLU's mask
# (Backend::batchnorm_forward/backward, relu / relu_y), and a residual block's sum writes
# ReLU(z + B(z)) (Backend::add_scaled, relu). The training steps before and after, in one run on one
# machine: BEFORE holds layerprune_bench and liblayerprune.so built from the commit before the change.
# Expected before measuring: per basic block (n = its activation elements, fp32) the memory-bound
# passes move ~13n forward and ~17n backward; the fusions remove 4n forward (the two ReLU passes'
# read and write) and 1n backward (relu_backward's 3n against one more read in each of batch norm's
# two backward passes), ~17 % of the memory-bound traffic. With those passes at an estimated third of
# a ResNet-20 step, ~5 % (2-8 %) on the ResNet-20 steps; the MLP (no batch norm) is unchanged.
# Rounds and tables: ../before_after.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../before_after.sh" "$here" \
  'BM_ResNetTrainStep/depth:20/C:(1|3)/HW:(28|32)/batch:(64|128)/bf16:0|BM_TrainStep/K:8/gated:1/prefetch:1'
# The op pair itself in this tree's build (fused 0 / 1), 6 interleaved repetitions: ops.json, ops.md.
"$here/../../../../target/native/bin/layerprune_bench" --benchmark_filter=BM_BatchNormRelu --benchmark_min_time=0.5 \
  --benchmark_repetitions=6 --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true \
  --benchmark_out="$here/ops.json" --benchmark_out_format=json > /dev/null
python3 - "$here/ops.json" <<'PY' | tee "$here/ops.md"
import json, sys
med = {b["run_name"]: b["real_time"] for b in json.load(open(sys.argv[1]))["benchmarks"] if b["aggregate_name"] == "median"}
u, f = med["BM_BatchNormRelu/fused:0/real_time"], med["BM_BatchNormRelu/fused:1/real_time"]
print(f"BN + ReLU forward and backward, 802,816 elements: unfused {u:.0f} us, fused {f:.0f} us (median of 6), fused/unfused {f / u:.3f}")
PY
