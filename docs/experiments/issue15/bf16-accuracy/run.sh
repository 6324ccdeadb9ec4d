#!/usr/bin/env bash
# Issue 15's bf16 accuracy criteria: the main job (residual MLP, all 60k Fashion-MNIST images, defaults)
# and ResNet-20 on a 10k subset (5 epochs), each in --precision fp32 and bf16, side by side at
# THREADS (default 1) native threads each, seed 1, on all the training images (--validation-fraction 0;
# nothing is tuned here: both precisions run the defaults). Writes <name>.report.json and <name>.log here;
# compare.py prints the comparison. Existing reports are kept (delete one to re-run it).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
threads="${THREADS:-1}"
run() {
  local name=$1; shift
  [ -f "$here/$name.report.json" ] && { echo "[$name] kept"; return; }
  echo "[$name] $(date -u +%H:%M:%S) bin/layerprune train $*"
  "$root/bin/layerprune" train --threads "$threads" --validation-fraction 0 --no-plots --quiet \
    --report "$here/$name.report.json" "$@" > "$here/$name.log" 2>&1 || echo "[$name] FAILED (see $name.log)"
}
pair() {
  local name=$1; shift
  JAVA_TOOL_OPTIONS=-Dorg.bytedeco.javacpp.cachedir=/tmp/lp-fp32 run "$name-fp32" "$@" --precision fp32 &
  JAVA_TOOL_OPTIONS=-Dorg.bytedeco.javacpp.cachedir=/tmp/lp-bf16 run "$name-bf16" "$@" --precision bf16 &
  wait
}
pair main --seed 1
pair resnet20-10k --model resnet20 --train-limit 10000 --epochs 5 --seed 1
# Seeds 2 and 3 of the ResNet-20 pair: at 10k images and 5 epochs runs differ by about a point from
# seed to seed (issue 12's robustness runs), more than the criterion's 0.5.
for seed in 2 3; do pair "resnet20-10k-seed$seed" --model resnet20 --train-limit 10000 --epochs 5 --seed "$seed"; done
python3 "$here/compare.py" "$here"
