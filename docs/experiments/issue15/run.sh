#!/usr/bin/env bash
# Issue 15's measurements, in one run on one machine, back to back so that the ratios compare:
#   1. layerprune_bench: FP32 and bf16 training steps (residual MLP K=8/32, ResNet-20 on 1x28x28 at
#      batch 64), K=8 inference in both precisions, the step's GEMMs alone, the FP32 FMA peak and the
#      bf16 dot-product peak (each step also as a fraction of them: of_peak, of_bf16_peak);
#      6 repetitions in random interleaved order (this machine drifts by tens of per cent over minutes:
#      run2/ ran the same benchmarks in sequence and got bf16 0.75x of FP32), medians in bench.json;
#   2. ../shared/peers/run.sh (libtorch 2.10 on the same workloads; its README), RUNS=${PEER_RUNS:-1};
#      its results table is copied to peers-results.txt.
# Writes env.txt (CPU, flags, load), bench.json, bench.txt, peers-results.txt here; table.py turns them
# into the table README shows. Run on an otherwise idle machine: bin/layerprune --version first (build).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bench="$root/target/native/bin/layerprune_bench"
[ -x "$bench" ] || { echo "build first: bin/layerprune --version" >&2; exit 1; }
{ echo "date: $(date -u -Is)"; lscpu | grep -E "Model name|^CPU\(s\)|Thread|L2|L3"
  echo "flags: $(grep -m1 flags /proc/cpuinfo | tr ' ' '\n' | grep -E '^(fma|avx512f|avx512_bf16|amx_bf16|amx_tile)$' | tr '\n' ' ')"
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$here/env.txt"
filter='BM_FmaPeak|BM_Bf16DotPeak|BM_TrainStep/K:(8|32)/gated:(0|1)/prefetch:1|BM_TrainStepBf16|BM_Inference|BM_ResNetTrainStep/depth:20/C:1|BM_StepGemmsOnly'
"$bench" --benchmark_filter="$filter" --benchmark_repetitions=6 --benchmark_enable_random_interleaving=true \
  --benchmark_report_aggregates_only=true --benchmark_min_time=0.5 --benchmark_counters_tabular=true \
  --benchmark_out="$here/bench.json" --benchmark_out_format=json | tee "$here/bench.txt"
echo "load after bench: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/env.txt"
peers="$(cd "$root/.." && pwd)/shared/peers/run.sh"
if [ -x "$peers" ] || [ -f "$peers" ]; then
  WORK=/tmp/layerprune-peers RUNS="${PEER_RUNS:-1}" bash "$peers" 2>&1 | tee "$here/peers.log"
  latest=$(ls -d /tmp/layerprune-peers/results/*/ | tail -1)
  cp "$latest/results.txt" "$here/peers-results.txt"
  cp "$latest/env.txt" "$here/peers-env.txt"
else
  echo "no ../shared/peers/run.sh: peer figures skipped" | tee "$here/peers.log"
fi
echo "load after peers: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/env.txt"
python3 "$here/table.py" "$here"
