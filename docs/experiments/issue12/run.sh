#!/usr/bin/env bash
# Issue 12's measurements: pruning vs --no-gates at equal epochs, each preset's own defaults
# (no hand-set learning rate), Fashion-MNIST, through the CLI (bin/layerprune train). Every run
# writes <name>.report.json (+ .steps.csv) and <name>.log here; summarize.py reads them and
# writes summary.md with the criteria. Groups (first argument, default all):
#   main        the main job and its baseline (60k, residual MLP), and 6k / 20k subsets
#   resnet56    ResNet-56, all 60k, 10 epochs                           (~1.5 h on 2 cores)
#   resnet20    ResNet-20, all 60k, 10 epochs                           (~30 min)
#   robustness  ResNet-20/32/56/110 on a 10k subset, seeds 1-3, $ROBUST_EPOCHS epochs (default 10)
# THREADS (default 2) native threads per run; runs are sequential. Existing reports are kept
# (delete one to re-run it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
threads="${THREADS:-2}"
robust_epochs="${ROBUST_EPOCHS:-10}"
run() {  # name, train args...
  local name=$1; shift
  [ -f "$here/$name.report.json" ] && { echo "[$name] kept"; return; }
  echo "[$name] bin/layerprune train $*"
  "$root/bin/layerprune" train --threads "$threads" --no-plots --quiet --report "$here/$name.report.json" "$@" \
    > "$here/$name.log" 2>&1
}
group="${1:-all}"
if [ "$group" = all ] || [ "$group" = main ]; then
  run main --seed 1
  run main-nogates --seed 1 --no-gates
  for n in 6000 20000; do
    run "mlp-$n" --seed 1 --train-limit "$n"
    run "mlp-$n-nogates" --seed 1 --train-limit "$n" --no-gates
  done
fi
if [ "$group" = all ] || [ "$group" = resnet20 ]; then
  run resnet20 --model resnet20 --seed 1
  run resnet20-nogates --model resnet20 --seed 1 --no-gates
fi
if [ "$group" = all ] || [ "$group" = resnet56 ]; then
  run resnet56 --model resnet56 --seed 1
  run resnet56-nogates --model resnet56 --seed 1 --no-gates
fi
if [ "$group" = all ] || [ "$group" = robustness ]; then
  for seed in 1 2 3; do
    for depth in 20 32 56 110; do
      run "robust-resnet$depth-seed$seed" --model "resnet$depth" --train-limit 10000 --epochs "$robust_epochs" --seed "$seed"
      run "robust-resnet$depth-seed$seed-nogates" --model "resnet$depth" --train-limit 10000 --epochs "$robust_epochs" \
        --seed "$seed" --no-gates
    done
  done
fi
python3 "$here/summarize.py" "$here"
