#!/usr/bin/env bash
# Stops dockerd only if host-deps.sh started it.
set -euo pipefail
pidfile="$(cd "$(dirname "$0")/../.." && pwd)/.cache/dockerd.pid"
[[ -f "$pidfile" ]] || exit 0
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null && grep -q dockerd "/proc/$pid/comm" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
fi
rm -f "$pidfile"
