#!/usr/bin/env bash
# What the theta estimators see during training (native/tools/estimator_trace.cpp): ResNet-56 trained
# without gates on the first 20k Fashion-MNIST training images for 3 epochs (the ResNet defaults),
# and every 20 steps 4 random training batches of 128 on which every section is re-run with its gate
# off: the two-point difference d and the linearized term c per batch and section. One native thread.
# Writes r56-20k.csv.gz and r56-20k.log here; analysis.md is analyze.py's reading of it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${BIN:-$here/../../../target/native/bin/layerprune_estimator_trace}"
OMP_NUM_THREADS=1 "$bin" --depth 56 --train-limit 20000 --epochs 3 --probe-every 20 --probe-batches 4 --seed 1 \
  --out "$here/r56-20k.csv" > "$here/r56-20k.log" 2>&1
python3 "$here/analyze.py" "$here/r56-20k.csv" > "$here/analysis.md"
gzip -9f "$here/r56-20k.csv"
