#!/usr/bin/env bash
# Before/after benchmark of one change, in one run on one machine (used by fused-optimizer/ and
# fused-bn-relu/run.sh): bash before_after.sh OUT_DIR FILTER. BEFORE is a directory holding
# layerprune_bench and liblayerprune.so built from the commit before the change; the after binary is
# this tree's target/native build. Rounds alternate before/after (ROUNDS, default 4), each binary with
# random interleaving inside; OUT_DIR gets env.txt, {before,after}-ROUND.json and results.md
# (before_after_table.py: the medians and the paired after/before ratios per benchmark).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:?OUT_DIR}"
filter="${2:?FILTER}"
before="${BEFORE:?set BEFORE to the directory with the earlier layerprune_bench and liblayerprune.so}"
{ echo "date: $(date -u -Is)"; lscpu | grep -E "Model name|^CPU\(s\)"; echo "load: $(cut -d' ' -f1-3 /proc/loadavg)"; } > "$out/env.txt"
for round in $(seq 1 "${ROUNDS:-4}"); do
  for side in before after; do
    if [ "$side" = before ]; then bin="$before/layerprune_bench"; lib="$before"; else bin="$root/target/native/bin/layerprune_bench"; lib=""; fi
    LD_LIBRARY_PATH="$lib" "$bin" --benchmark_filter="$filter" --benchmark_min_time=1 \
      --benchmark_enable_random_interleaving=true --benchmark_out="$out/$side-$round.json" \
      --benchmark_out_format=json > /dev/null
  done
done
python3 "$here/before_after_table.py" "$out" | tee "$out/results.md"
