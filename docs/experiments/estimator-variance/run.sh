#!/usr/bin/env bash
# Variance of the theta estimators at equal cost, against exact enumeration (issue 12).
# Runs `layerprune estimator-check` on the networks small enough to enumerate all 2^L gate
# patterns: a residual MLP with 4 sections (width 64) and 12 sections (width 64), and
# ResNet-20 (9 sections), each trained briefly without gates on Fashion-MNIST and then set to
# theta = 1 and theta = 0.5. Each estimator's cost per draw (a fraction of one training step)
# and its variance scaled to one training step's cost are in the JSON files; summarize.py
# writes summary.md from them. About 25 minutes on 2 cores.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
lp="$root/bin/layerprune"
check() {  # name, extra args...
  local name=$1; shift
  "$lp" estimator-check --threads 2 --out "$here/$name.json" "$@" > "$here/$name.txt"
}
for theta in 1.0 0.5; do
  check "mlp4-theta$theta" --model mlp --sections 4 --width 64 --rows 256 --samples 2000 --theta "$theta"
  check "mlp12-theta$theta" --model mlp --sections 12 --width 64 --rows 256 --samples 1000 --theta "$theta"
  check "resnet20-theta$theta" --model resnet20 --rows 128 --samples 300 --theta "$theta" --train-limit 6000
done
python3 "$here/summarize.py" "$here"
