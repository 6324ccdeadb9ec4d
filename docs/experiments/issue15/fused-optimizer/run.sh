#!/usr/bin/env bash
# Issue 15 item 1, the fused optimizer step (commit 7f2480c): the training steps before and after,
# in one run on one machine. BEFORE is a directory holding layerprune_bench and liblayerprune.so
# built from the commit before (81ccc0e here); the after binary is this tree's target/native build.
# Expected before measuring: the gated MLP K=8 step loses the prior's separate axpy pass over the
# section weights (read W, read and write g: 3 of the optimizer's 10 streams over them) and gains W
# in the norm pass (1 stream): ~2-3 % of the step (sgd_momentum was 5 % and sum_squares 1.8 % of a
# K=8 step's samples under perf). --no-gates MLP (no prior, weight decay 0): no change; ResNet-20
# (weight decay and prior, but 0.27 M weights against conv compute): under 1 %.
# Rounds and tables: ../before_after.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bash "$here/../before_after.sh" "$here" \
  'BM_TrainStep/K:8/gated:(0|1)/prefetch:1|BM_ResNetTrainStep/depth:20/C:1/HW:28/batch:64/bf16:0'
