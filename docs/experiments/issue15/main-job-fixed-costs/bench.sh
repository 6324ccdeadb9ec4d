#!/usr/bin/env bash
# The main job's network at its end (3 of 12 sections kept, default estimator) and at its start, against
# a network built with 3 sections: layerprune_bench, 5 repetitions interleaved, medians (bench.txt).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bench="${BENCH:-$here/../../../../target/native/bin/layerprune_bench}"
"$bench" --benchmark_filter='BM_TrainStep/K:(3|12)/gated:0/prefetch:1|BM_TrainStepPruned' \
  --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true --benchmark_min_time=1 \
  --benchmark_report_aggregates_only=true --benchmark_counters_tabular=true 2>&1 |
  grep -E "^Benchmark|_median" | tee "$here/bench.txt"
