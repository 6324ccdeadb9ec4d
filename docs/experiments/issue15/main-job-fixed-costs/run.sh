#!/usr/bin/env bash
# Issue 15 item 4: the main job as README runs it (bin/layerprune train: default threads, 10 % of the
# training images held out and evaluated after every epoch) and its --no-gates baseline, the same
# pair with the JVM's full JIT, and the pair through the native tool (layerprune_native_train --depth 0: the same core and epoch loop, no
# JVM), one after the other; then analyze.py (results.md). The machine must be otherwise idle: a
# second job on the 2 cores shows up as a "fixed cost" (the first version of these results was taken
# beside a stray training process and is not kept).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
native="${NATIVE_TRAIN:-$root/target/native/bin/layerprune_native_train}"
[ -x "$native" ] || { echo "run.sh: build $native first (cmake --build target/native --target layerprune_native_train)" >&2; exit 1; }
busy=$(ps -eo pcpu=,comm= | awk '$1 > 20 {print $2}' | grep -v -x -e ps -e awk | head -3 || true)
[ -z "$busy" ] || { echo "run.sh: the machine is busy ($busy): the timings would not mean anything" >&2; exit 1; }
# Each pair in turn: the CLI as the launcher runs it (JIT at C1), the CLI with the full JIT (C2), the
# native tool. Process wall times go to walls.tsv.
: > "$here/walls.tsv"
timed() {  # name, command...
  local name=$1 t0; shift
  t0=$(date +%s.%N)
  "$@"
  echo -e "$name\t$(echo "$(date +%s.%N) - $t0" | bc)" >> "$here/walls.tsv"
}
for gates in main main-nogates; do
  extra=(); [ "$gates" = main-nogates ] && extra=(--no-gates)
  for jit in "" -fulljit; do
    run=$gates$jit
    opts=""; [ -n "$jit" ] && opts=-XX:TieredStopAtLevel=4
    LAYERPRUNE_JAVA_OPTS=$opts timed "$run" "$root/bin/layerprune" train --seed 1 --no-plots --quiet \
      --report "$here/$run.report.json" "${extra[@]}" > "$here/$run.log" 2>&1
    gzip -9f "$here/$run.report.steps.csv"
  done
  timed "native-$gates" "$native" --depth 0 --epochs 10 --validation 6000 --batch 128 --label "native-$gates" \
    "${extra[@]}" > "$here/native-$gates.log" 2>&1
done
python3 "$here/analyze.py" "$here" | tee "$here/results.md"
