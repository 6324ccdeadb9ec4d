#!/usr/bin/env bash
# Issue 16's measurements (docs/SCALING.md): 1 rank x 2 threads against 2 ranks x 1 thread on this
# 2-core machine, samples/s of the main job (residual MLP, 12 sections) and of ResNet-20, pruned and
# --no-gates, with the floats all-reduced per step and the time per all-reduce. Each run trains on
# Fashion-MNIST through layerprune_native_train (the same core the CLI drives); the runs go one after
# another, so each has the machine to itself. Writes results.jsonl here (one RESULT line per run).
#   run.sh [BUILD_DIR]   (default target/native; needs layerprune_native_train and liblayerprune_mpi)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${1:-$root/target/native}/bin/layerprune_native_train"
out="$here/results.jsonl"
: > "$out"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
one() {  # label, native_train args: 1 rank x 2 threads, then 2 ranks x 1 thread
  local label=$1; shift
  LAYERPRUNE_THREADS=2 "$bin" --label "$label-1x2" --distributed off "$@" | grep '^RESULT' | sed 's/^RESULT //' >> "$out"
  LAYERPRUNE_THREADS=1 mpirun --oversubscribe -np 2 --bind-to core "$bin" --label "$label-2x1" --distributed mpi "$@" \
    | grep '^RESULT' | sed 's/^RESULT //' >> "$out"
}
one main --depth 0 --epochs 2 --validation 5000
one main-nogates --depth 0 --epochs 2 --validation 5000 --no-gates
one resnet20 --depth 20 --epochs 1 --train-limit 10000 --validation 1000
one resnet20-nogates --depth 20 --epochs 1 --train-limit 10000 --validation 1000 --no-gates
one resnet56-nogates --depth 56 --epochs 1 --train-limit 3000 --validation 500 --no-gates
cat "$out"
