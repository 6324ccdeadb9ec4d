#!/usr/bin/env bash
# Issue 12 round 6: the initial-norm prior (--prior-norm initial, docs/ALGORITHM.md section 2) on
# validation splits only (layerprune_native_train holds out --validation images of the training
# set; the test set is not used for any choice). One native thread per run, two runs side by side.
#   r56-10k-{initial,current,nogates}: ResNet-56, 10k training + 5k validation images, 5 epochs
#   r56-20k-{initial,nogates}:         ResNet-56, 20k + 5k, 10 epochs
# Each writes <label>.log here (per-epoch line, per-section evidence in 1e-3 nats, RESULT json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="${BIN:-$here/../../../../target/native/bin/layerprune_native_train}"
run() {  # label, args...
  local label=$1; shift
  [ -f "$here/$label.log" ] && { echo "[$label] kept"; return; }
  OMP_NUM_THREADS=1 "$bin" --depth 56 --validation 5000 --seed 1 --trace-evidence --label "$label" "$@" \
    > "$here/$label.log" 2>&1
}
groups=("$@"); [ ${#groups[@]} -eq 0 ] && groups=(10k 20k)
for g in "${groups[@]}"; do
  case "$g" in
    10k)
      run r56-10k-initial --epochs 5 --train-limit 10000 --prior-norm initial &
      run r56-10k-nogates --epochs 5 --train-limit 10000 --no-gates &
      wait
      run r56-10k-current --epochs 5 --train-limit 10000 --prior-norm current ;;
    20k)
      run r56-20k-initial --epochs 10 --train-limit 20000 --prior-norm initial &
      run r56-20k-nogates --epochs 10 --train-limit 20000 --no-gates &
      wait ;;
    *) echo "unknown group $g (10k, 20k)" >&2; exit 2 ;;
  esac
done
grep -h '^RESULT' "$here"/*.log | cut -c8-
