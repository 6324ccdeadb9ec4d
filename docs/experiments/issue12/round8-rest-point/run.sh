#!/usr/bin/env bash
# Issue 12 round 8 (validation only): where the robustness runs' systematic loss comes from. With
# nothing pruned, the 10k x 5-epoch runs of summary.md score 0.33-1.11 points below --no-gates on
# average over seeds 1-3 (ResNet-20 -0.50 +- 0.15). ResNet-20, 10k training + 5k validation images
# (layerprune_native_train holds them out of the training set; the test set is not looked at),
# 5 epochs, seeds 1-3, the core's ResNet defaults, one thread per run, two runs side by side:
#   nogates   --no-gates
#   default   the defaults (budget 0.02: gates rest at 0.98 while in doubt)
#   rest999   --budget 0.001 (rest point 0.999: almost no skips, and almost no evidence)
# Writes LABEL.log (RESULT line: val_acc_det) here; table.py summarises.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${BIN:-$here/../../../../target/native/bin/layerprune_native_train}"
run() {  # label, args...
  local label=$1; shift
  [ -f "$here/$label.log" ] && grep -q '^RESULT' "$here/$label.log" && return
  OMP_NUM_THREADS=1 LAYERPRUNE_THREADS=1 "$bin" --depth 20 --train-limit 10000 --validation 5000 --epochs 5 \
    --label "$label" "$@" > "$here/$label.log" 2>&1
}
run nogates-s1 --seed 1 --no-gates & run default-s1 --seed 1 & wait
run rest999-s1 --seed 1 --budget 0.001 & run nogates-s2 --seed 2 --no-gates & wait
run default-s2 --seed 2 & run rest999-s2 --seed 2 --budget 0.001 & wait
run nogates-s3 --seed 3 --no-gates & run default-s3 --seed 3 & wait
run rest999-s3 --seed 3 --budget 0.001

python3 "$here/table.py" "$here" | tee "$here/table.md"
