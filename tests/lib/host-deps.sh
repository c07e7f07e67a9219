#!/usr/bin/env bash
# Makes this machine able to run the lab: a Docker engine that answers, and
# the Debian tools the image and release builds use. Installs only what is
# missing and starts dockerd only when no engine answers; an engine it did not
# start is never stopped (see stop-engine.sh).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
state="$root/.cache"
mkdir -p "$state"

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v docker >/dev/null || missing+=(docker.io)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v zstd >/dev/null || missing+=(zstd)
command -v ip >/dev/null || missing+=(iproute2)
if ((${#missing[@]})); then
  echo "installing host packages: ${missing[*]}"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if docker info >/dev/null 2>&1; then
  exit 0
fi
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  as_root systemctl start docker && docker info >/dev/null 2>&1 && exit 0
fi
echo "no Docker engine answers: starting dockerd (log: .cache/dockerd.log)"
as_root bash -c "nohup dockerd >'$state/dockerd.log' 2>&1 & echo \$! >'$state/dockerd.pid'"
for _ in $(seq 1 60); do
  docker info >/dev/null 2>&1 && exit 0
  sleep 1
done
echo "dockerd did not answer within 60 s; see $state/dockerd.log" >&2
tail -n 20 "$state/dockerd.log" >&2 || true
exit 1
