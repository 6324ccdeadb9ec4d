#!/bin/bash
# Interleaved A/B: for each benchmark, ROUNDS rounds of (A, B), each 3 repetitions of >= 0.3 s.
out=/tmp/ab.tsv; : > $out
ROUNDS=${ROUNDS:-6}
for f in 'BM_TrainStep/K:8/gated:0/prefetch:0' 'BM_TrainStep/K:32/gated:0/prefetch:0' 'BM_TrainStep/K:8/gated:1/prefetch:0' 'BM_TrainStep/K:32/gated:1/prefetch:0' 'BM_TrainStep/K:8/gated:0/prefetch:1' 'BM_TrainStep/K:32/gated:0/prefetch:1' 'BM_TrainStep/K:8/gated:1/prefetch:1' 'BM_TrainStep/K:32/gated:1/prefetch:1' 'BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64'; do
  for i in $(seq $ROUNDS); do
    for r in A B; do
      if [ $r = A ]; then d=/work/bench-base; else d=/work/bench-new; fi
      LAYERPRUNE_THREADS=1 LD_LIBRARY_PATH=$d/lib $d/layerprune_bench --benchmark_filter="^$f/" --benchmark_repetitions=3 --benchmark_min_time=0.3 --benchmark_format=json 2>/dev/null \
        | python3 -c "import json,sys; d=json.load(sys.stdin); [print('$r', b['run_name'].replace('/real_time',''), b['real_time'], b['cpu_time'], sep='\t') for b in d['benchmarks'] if b.get('run_type')=='iteration']" >> $out
    done
  done
done
