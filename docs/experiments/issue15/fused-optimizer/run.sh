#!/usr/bin/env bash
# Issue 15 item 1, the fused optimizer step (commit 7f2480c): the training steps before and after,
# in one run on one machine. BEFORE is a directory holding layerprune_bench and liblayerprune.so
# built from the commit before (81ccc0e here); the after binary is this tree's target/native build.
# Expected before measuring: the gated MLP K=8 step loses the prior's separate axpy pass over the
# section weights (read W, read and write g: 3 of the optimizer's 10 streams over them) and gains W
# in the norm pass (1 stream): ~2-3 % of the step (sgd_momentum was 5 % and sum_squares 1.8 % of a
# K=8 step's samples under perf). --no-gates MLP (no prior, weight decay 0): no change; ResNet-20
# (weight decay and prior, but 0.27 M weights against conv compute): under 1 %.
# Rounds alternate before/after (ROUNDS, default 4), each binary with random interleaving inside;
# table.py prints the medians and the after/before ratio per benchmark.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
before="${BEFORE:?set BEFORE to the directory with the earlier layerprune_bench and liblayerprune.so}"
filter='BM_TrainStep/K:8/gated:(0|1)/prefetch:1|BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:0'
{ echo "date: $(date -u -Is)"; lscpu | grep -E "Model name|^CPU\(s\)"; echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$here/env.txt"
for round in $(seq 1 "${ROUNDS:-4}"); do
  for side in before after; do
    if [ "$side" = before ]; then bin="$before/layerprune_bench"; lib="$before"; else bin="$root/target/native/bin/layerprune_bench"; lib=""; fi
    LD_LIBRARY_PATH="$lib" "$bin" --benchmark_filter="$filter" --benchmark_min_time=1 \
      --benchmark_enable_random_interleaving=true --benchmark_out="$here/$side-$round.json" \
      --benchmark_out_format=json > /dev/null
  done
done
python3 "$here/table.py" "$here" | tee "$here/results.md"
