#!/usr/bin/env bash
# Where a ResNet-20 step's time goes, per oneDNN primitive, in FP32 and bf16: the ResNet-20 1x28x28
# batch-64 training step benchmark at 1 native thread under ONEDNN_VERBOSE=profile_exec, aggregated
# by aggregate.py into profile.md (share of oneDNN time and mean milliseconds per call, by primitive
# kind, propagation and implementation).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="$here/../../../../target/native/bin/layerprune_bench"
for b in 0 1; do
  LAYERPRUNE_THREADS=1 ONEDNN_VERBOSE=profile_exec "$bench" \
    --benchmark_filter="BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:$b" --benchmark_min_time=1 2>&1 \
    | grep "^onednn_verbose.*,exec," > "$here/verbose-bf16-$b.txt"
done
python3 "$here/aggregate.py" "$here" | tee "$here/profile.md"
gzip -f "$here"/verbose-bf16-*.txt
