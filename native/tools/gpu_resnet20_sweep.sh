#!/usr/bin/env bash
# ResNet-20 on Fashion-MNIST with pruning, several settings at once on one GPU (the GPU machine
# has no Java: layerprune_gpu_train drives the native core with the CUDA backend). Settings are
# compared on a validation split (the last 5,000 training images); the test accuracy is printed
# too but is not what picks a setting. Run from the repository root after bin/gpu-prepare with
# the data in .gpu/data (carry .gpu); logs go to $OUT.
set -uo pipefail
OUT="${OUT:-target/gpu-sweep}"
mkdir -p "$OUT"
export LD_LIBRARY_PATH=".gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" LAYERPRUNE_THREADS=2
# MPS lets the processes' kernels share the GPU instead of taking turns; without it they still run.
nvidia-cuda-mps-control -d 2>/dev/null && echo "MPS on" || echo "MPS not available"
run() {  # label, then flags
  local label="$1"; shift
  .gpu/bin/layerprune_gpu_train --data .gpu/data --label "$label" "$@" >"$OUT/$label.log" 2>&1 &
}
# ROUND=1 (default): six settings, each on 55,000 images, validated on 5,000.
# ROUND=2: the setting round 1's validation picked among those that pruned (lambda 0.3, theta
# frozen for epoch 1, eta_theta 0.05) on all the training images (--validation 1 keeps one image
# out: the program needs a non-empty split) with seeds 1-3, and three neighbours on 55,000/5,000.
if [ "${ROUND:-1}" = 1 ]; then
  run l03_f1 --lambda 0.3 --freeze-epochs 1
  run l02_f1 --lambda 0.2 --freeze-epochs 1
  run l05_f1 --lambda 0.5 --freeze-epochs 1
  run l03_f2 --lambda 0.3 --freeze-epochs 2
  run l05_f3 --lambda 0.5 --freeze-epochs 3
  run l03_f1_eta005 --lambda 0.3 --freeze-epochs 1 --eta-theta 0.05
else
  for s in 1 2 3; do run all60k_s$s --lambda 0.3 --freeze-epochs 1 --eta-theta 0.05 --validation 1 --seed $s; done
  run l025_f1_eta005 --lambda 0.25 --freeze-epochs 1 --eta-theta 0.05
  run l03_f2_eta005 --lambda 0.3 --freeze-epochs 2 --eta-theta 0.05
  run l04_f1_eta005 --lambda 0.4 --freeze-epochs 1 --eta-theta 0.05
fi
wait
echo quit | nvidia-cuda-mps-control 2>/dev/null
tail -n 3 "$OUT"/*.log
grep -h '^RESULT' "$OUT"/*.log > "$OUT/results.jsonl"
cat "$OUT/results.jsonl"
