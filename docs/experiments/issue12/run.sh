#!/usr/bin/env bash
# Issue 12's measurements: pruning vs --no-gates at equal epochs, each preset's own defaults
# (no hand-set learning rate), Fashion-MNIST, through the CLI (bin/layerprune train), on all the
# training images (--validation-fraction 0; the settings were chosen on a held-out split
# beforehand, see validation/). Every run writes <name>.report.json (+ .steps.csv) and <name>.log
# here; summarize.py reads them and writes summary.md with the criteria. Groups (arguments, default
# all, in this order):
#   resnet56    ResNet-56, all 60k, 10 epochs
#   resnet20    ResNet-20, all 60k, 10 epochs
#   main        the main job and its baseline (60k, residual MLP), and 6k / 20k subsets
#   robustness  ResNet-20/32/56/110 (ROBUST_DEPTHS) on a 10k subset, seeds 1-3, $ROBUST_EPOCHS epochs (default 10)
# Each pair (pruned, --no-gates) runs side by side, THREADS (default 1) native threads each, so
# both see the same machine load while both run; the pruned run usually ends first, and the
# --no-gates run then has the machine to itself, which favours --no-gates in the wall-time ratio.
# Existing reports are kept (delete one to re-run it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
threads="${THREADS:-1}"
robust_epochs="${ROBUST_EPOCHS:-10}"
run() {  # name, train args...
  local name=$1; shift
  [ -f "$here/$name.report.json" ] && { echo "[$name] kept"; return; }
  echo "[$name] $(date -u +%H:%M:%S) bin/layerprune train $*"
  "$root/bin/layerprune" train --threads "$threads" --validation-fraction 0 --no-plots --quiet \
    --report "$here/$name.report.json" "$@" > "$here/$name.log" 2>&1 || echo "[$name] FAILED (see $name.log)"
}
pair() {  # name, train args...: the pruned run and its --no-gates baseline, side by side
  local name=$1; shift
  run "$name" "$@" &
  run "$name-nogates" "$@" --no-gates &
  wait
}
groups=("$@"); [ ${#groups[@]} -eq 0 ] && groups=(resnet56 resnet20 main robustness)
for group in "${groups[@]}"; do
  case "$group" in
    resnet56) pair resnet56 --model resnet56 --seed 1 ;;
    resnet20) pair resnet20 --model resnet20 --seed 1 ;;
    main)
      pair main --seed 1
      for n in 6000 20000; do pair "mlp-$n" --seed 1 --train-limit "$n"; done ;;
    robustness)
      for depth in ${ROBUST_DEPTHS:-20 32 56 110}; do  # depth-major: every seed of the cheaper depths first
        for seed in 1 2 3; do
          pair "robust-resnet$depth-seed$seed" --model "resnet$depth" --train-limit 10000 --epochs "$robust_epochs" --seed "$seed"
        done
      done ;;
    *) echo "unknown group $group (resnet56, resnet20, main, robustness)" >&2; exit 2 ;;
  esac
done
python3 "$here/summarize.py" "$here"
