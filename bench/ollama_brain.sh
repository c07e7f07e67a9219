#!/usr/bin/env bash
# Benchmark of the ollama_brain role on a lab host (not a test: it prints figures).
#   bench/ollama_brain.sh
# Prints: cold converge (fresh host: download, install, pull, warm-up),
# idempotent re-run, and the wait module's return lag (bench/wait_latency.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=$root/.venv/bin:$PATH ANSIBLE_NOCOLOR=1 PY_COLORS=0
eval "$(tests/lib/lab-services.sh up 2>/dev/null)"
trap 'molecule destroy -s ollama_brain >/dev/null 2>&1 || true' EXIT
molecule destroy -s ollama_brain >/dev/null 2>&1 || true
molecule create -s ollama_brain >/dev/null 2>&1
molecule prepare -s ollama_brain >/dev/null 2>&1
t0=$SECONDS; molecule converge -s ollama_brain >/tmp/bench-converge.log 2>&1; cold=$((SECONDS - t0))
t0=$SECONDS; molecule converge -s ollama_brain >/tmp/bench-rerun.log 2>&1; rerun=$((SECONDS - t0))
echo "cold converge (molecule converge, 3 hosts, incl. ~3.3 GB simulated pull): ${cold}s"
echo "idempotent re-run: ${rerun}s ($(python3 "$root/tests/lib/recap.py" </tmp/bench-rerun.log | grep -o 'changed=[0-9]*'))"
python bench/wait_latency.py 10
