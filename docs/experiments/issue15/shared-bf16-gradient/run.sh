#!/usr/bin/env bash
# Issue 15 bf16: a layer's output gradient converted to bf16 once for both backward products
# (Backend::linear_backward / conv_backward, commit 6d3f676) instead of once per product.
# Expected before measuring (../amx-profile/: conversions are 38.6 % of the bf16 MLP step's oneDNN
# time and ~32 % of ResNet-20's): a layer converts 6 tensors per step (forward: input, weights;
# backward-data: dY, weights; backward-weights: dY, input), now 5, so ~1/6 of the conversions go:
# ~6 % of the bf16 steps' oneDNN time, ~4-6 % of the steps; FP32 unchanged (it converts nothing).
# BEFORE holds layerprune_bench and liblayerprune.so of the commit before; rounds: ../before_after.sh.
# Then the conversions counted per step under ONEDNN_VERBOSE (counts.md): exact, not timed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../before_after.sh" "$here" \
  'BM_TrainStepBf16/K:8/gated:0|BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:(0|1)|BM_TrainStep/K:8/gated:0/prefetch:1'
count() {  # label, binary, library dir, filter
  LD_LIBRARY_PATH="$3" ONEDNN_VERBOSE=1 "$2" --benchmark_filter="$4" --benchmark_min_time=0.05 2>&1 \
    | grep '^onednn_verbose.*,exec,' | awk -F, -v l="$1" '{n[$6]++} END {printf "| %s | %d | %d | %.3f |\n", l, n["matmul"] + n["convolution"], n["reorder"], n["reorder"] / (n["matmul"] + n["convolution"])}'
}
{ echo "| run | products | reorders | reorders per product |"; echo "|---|---|---|---|"
  count "MLP K=8 bf16, before" "$BEFORE/layerprune_bench" "$BEFORE" 'BM_TrainStepBf16/K:8/gated:0'
  count "MLP K=8 bf16, after" "$here/../../../../target/native/bin/layerprune_bench" "" 'BM_TrainStepBf16/K:8/gated:0'
  count "ResNet-20 bf16, before" "$BEFORE/layerprune_bench" "$BEFORE" 'BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:1'
  count "ResNet-20 bf16, after" "$here/../../../../target/native/bin/layerprune_bench" "" 'BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:1'
} | tee "$here/counts.md"
