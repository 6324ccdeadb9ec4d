#!/usr/bin/env bash
# Where the FP32 and bf16 steps' oneDNN time goes on an AMX machine (this session's host: an Intel
# Xeon with AMX-BF16, 2 cores): the MLP K=8 step and the ResNet-20 1x28x28 batch-64 step, default
# threads, under ONEDNN_VERBOSE=profile_exec; ../onednn-profile/aggregate.py turns each folder's
# verbose-bf16-{0,1}.txt into profile.md. env.txt records the CPU.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="${BENCH:-$here/../../../../target/native/bin/layerprune_bench}"
{ echo "date: $(date -u -Is)"; lscpu | grep -E "Model name|^CPU\(s\)"
  echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(avx512f|avx512_bf16|amx_bf16|amx_tile)$' | tr '\n' ' ')"; } > "$here/env.txt"
profile() {  # folder, filter for FP32, filter for bf16
  mkdir -p "$here/$1"
  ONEDNN_VERBOSE=profile_exec "$bench" --benchmark_filter="$2" --benchmark_min_time=1 2>&1 \
    | grep "^onednn_verbose.*,exec," > "$here/$1/verbose-bf16-0.txt"
  ONEDNN_VERBOSE=profile_exec "$bench" --benchmark_filter="$3" --benchmark_min_time=1 2>&1 \
    | grep "^onednn_verbose.*,exec," > "$here/$1/verbose-bf16-1.txt"
  python3 "$here/../onednn-profile/aggregate.py" "$here/$1" | tee "$here/$1/profile.md"
  gzip -f "$here/$1"/verbose-bf16-*.txt
}
profile mlp-k8 'BM_TrainStep/K:8/gated:0/prefetch:1/' 'BM_TrainStepBf16/K:8/gated:0/'
profile resnet20 'BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:0' 'BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:1'
