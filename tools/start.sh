#!/usr/bin/env bash
# Builds and runs the exporters on this host: the CPU exporter on the real /sys (RAPL needs root to read
# energy_uj), and the GPU exporter on the real nvidia-smi when its app is built. Ctrl-C stops them all. V8's young
# generation is capped as in the images (--max-semi-space-size=1: peak RSS 98 -> 70 MB under load, docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm --silent build >/dev/null

pids=()
stop() { kill -TERM "${pids[@]}" 2>/dev/null || true; wait; }
trap stop INT TERM EXIT

if [ "$(id -u)" -ne 0 ]; then
  echo "start: not root: the CPU exporter will report energy_uj as unreadable (permission_denied); run with sudo for RAPL" >&2
fi
node --max-semi-space-size=1 apps/cpu-exporter/dist/main.js --port "${CPU_EXPORTER_PORT:-9510}" &
pids+=($!)
if [ -f apps/gpu-exporter/dist/main.js ]; then
  node --max-semi-space-size=1 apps/gpu-exporter/dist/main.js --port "${GPU_EXPORTER_PORT:-9511}" &
  pids+=($!)
fi
echo "start: CPU exporter on http://localhost:${CPU_EXPORTER_PORT:-9510}/metrics$([ -f apps/gpu-exporter/dist/main.js ] && echo ", GPU exporter on http://localhost:${GPU_EXPORTER_PORT:-9511}/metrics")" >&2
wait -n
