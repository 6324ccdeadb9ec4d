#!/usr/bin/env bash
# ResNet-20 on a 10k subset of the Fashion-MNIST training images, 5 epochs, seed 1, the CLI's 10 %
# validation split (1,000 images; the numbers compared are validation accuracy and training loss,
# the test set is not looked at), one thread each, two runs side by side: what the gates' rest
# point (1 - estimator budget) costs. Run from a checkout before the ResNet budget became 0.02
# (commit 9123497), where "default" is budget 0.08. Writes NAME.report.json and NAME.log here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../../.." && pwd)"
run() { local name=$1; shift; "$root/bin/layerprune" train --model resnet20 --train-limit 10000 --epochs 5 --seed 1 \
  --threads 1 --no-plots --quiet --report "$here/$name.report.json" "$@" > "$here/$name.log" 2>&1; }
run default & run nogates --no-gates & wait
run budget02 --estimator-budget 0.02 & run lambda0 --lambda 0 & wait
run twopoint --estimator two-point & run rest1 --estimator-budget 0.001 & wait
