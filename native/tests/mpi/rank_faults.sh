#!/usr/bin/env bash
# Issue 16's fault test: a 2-rank job whose rank 1 dies (SIGKILL) or hangs (SIGSTOP) mid-run must
# end within 60 s, with a non-zero exit code and a message naming a rank, never hang.
#   rank_faults.sh MPIEXEC LAYERPRUNE_MPI_TESTS
set -uo pipefail
mpiexec=$1 tests=$2
export LAYERPRUNE_THREADS=1 OMP_NUM_THREADS=1 LAYERPRUNE_COMM_TIMEOUT=5
fail() { echo "rank_faults: FAILED: $*" >&2; exit 1; }
scenario() {  # signal, what the output must name
  local signal=$1 expect=$2 log
  log=$(mktemp)
  "$mpiexec" --oversubscribe --allow-run-as-root -np 2 "$tests" --fault-workload >"$log" 2>&1 &
  local job=$!
  local pid=""
  for _ in $(seq 1 300); do  # up to 30 s for both ranks to start training
    pid=$(sed -n 's/^rank 1 pid \([0-9]*\) training$/\1/p' "$log")
    grep -q "^rank 0 pid" "$log" && [ -n "$pid" ] && break
    sleep 0.1
  done
  [ -n "$pid" ] || { cat "$log"; kill -9 "$job"; fail "rank 1 never started training"; }
  sleep 2  # well into the run
  local t0=$SECONDS
  kill "-$signal" "$pid"
  local waited=0
  while kill -0 "$job" 2>/dev/null && [ $waited -lt 60 ]; do sleep 1; waited=$((SECONDS - t0)); done
  if kill -0 "$job" 2>/dev/null; then
    kill -9 "$pid" "$job" 2>/dev/null; cat "$log"; fail "SIG$signal of rank 1: the job still runs after 60 s"
  fi
  wait "$job"; local rc=$?
  echo "--- SIG$signal of rank 1: the job ended after $((SECONDS - t0)) s with exit code $rc; its output:"
  grep -v "^\[ *RUN\|^\[==\|^\[--\|^Note:" "$log" | head -20
  [ "$rc" -ne 0 ] || fail "SIG$signal of rank 1: exit code 0"
  grep -Eq "$expect" "$log" || fail "SIG$signal of rank 1: no message matching '$expect'"
  rm -f "$log"
}
scenario KILL "rank 1|process rank 1|rank 0 of 2"
scenario STOP "rank 0 of 2: the all-reduce of step [0-9]+ did not complete within 5 s"
echo "rank_faults: passed"
