#!/usr/bin/env bash
# Runs `pnpm test` again and again with both cores kept busy by stress(1), stopping at the first failure: the check
# that the suite holds on a loaded machine. Usage: tools/test-under-stress.sh [RUNS] (default 10). Each run's output
# goes to .stress-runs/run-N.log; one line per run (exit status, seconds, load average) is printed.
set -u
cd "$(dirname "$0")/.."
runs=${1:-10}
command -v stress >/dev/null 2>&1 || { echo "stress is not installed (apt-get install stress)" >&2; exit 2; }
mkdir -p .stress-runs
export CI=1
stress --cpu 2 >/dev/null 2>&1 &
stress_pid=$!
trap 'pkill -P "$stress_pid" 2>/dev/null; kill "$stress_pid" 2>/dev/null' EXIT
for i in $(seq 1 "$runs"); do
  start=$(date +%s)
  pnpm test >".stress-runs/run-$i.log" 2>&1
  rc=$?
  echo "run $i rc=$rc seconds=$(($(date +%s) - start)) load=$(cut -d' ' -f1-3 /proc/loadavg)"
  [ "$rc" -ne 0 ] && exit "$rc"
done
echo "$runs runs passed in a row"
