#!/usr/bin/env bash
# Issue 12 round 7: the memory of the budgeted estimator's running fits (kFitMomentum, 0.9 = about ten
# re-runs) on a validation split only. The estimator trace (../../estimator-trace/) says that after the
# control variate a re-run's residual is mostly drift of the section's mean over hundreds of steps, so a
# prediction from re-runs 250-2500 steps old (ResNet-56 at budget 0.02) is stale. Here the momentum is
# read from LP_FIT_MOMENTUM by a scratch build with fit-momentum.patch applied (the committed code keeps
# the constant), and ResNet-56 is trained as in round 6's r56-20k-initial (20k training + 5k validation
# images, 10 epochs, --prior-norm initial, seed 1), whose momentum 0.9 run is the comparison.
# COMMIT (default HEAD) is the tree the patch applies to; two runs side by side, one thread each.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
scratch="${SCRATCH:-/tmp/layerprune-round7}"
if [ ! -x "$scratch/build/bin/layerprune_native_train" ]; then
  rm -rf "$scratch" && git -C "$root" worktree add -q --detach "$scratch" "${COMMIT:-HEAD}"
  git -C "$scratch" apply "$here/fit-momentum.patch"
  cmake -S "$scratch" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release -DLAYERPRUNE_BUILD_BENCH=ON \
    -DLAYERPRUNE_BUILD_TESTS=OFF -DLAYERPRUNE_BUILD_TEST_HOOKS=OFF -DDNNL_ROOT="$root/target/dnnl/org/bytedeco/dnnl/linux-x86_64" > /dev/null
  cmake --build "$scratch/build" --parallel 2 --target layerprune_native_train > /dev/null
fi
for m in ${MOMENTA:-0.5 0.75}; do
  label="r56-20k-initial-m$m"
  [ -f "$here/$label.log" ] && { echo "[$label] kept"; continue; }
  LP_FIT_MOMENTUM=$m OMP_NUM_THREADS=1 "$scratch/build/bin/layerprune_native_train" --depth 56 --validation 5000 \
    --seed 1 --trace-evidence --label "$label" --epochs 10 --train-limit 20000 --prior-norm initial \
    > "$here/$label.log" 2>&1 &
done
wait
python3 "$here/../round6-initial-norm/table.py" "$here" | tee "$here/table.md"
