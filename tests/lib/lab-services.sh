#!/usr/bin/env bash
# Shared services every scenario uses, started once per test run:
#   - the docker network the test hosts join ($LAB_NETWORK)
#   - the release mirror of the Ollama double, reachable as http://ollama-mirror:8080
#     with the same path pattern as upstream's release URL
#
#   lab-services.sh up      prints `export` lines for the environment
#   lab-services.sh down    removes what `up` made
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
network=${LAB_NETWORK:-ai-stack-lab}
mirror=${LAB_MIRROR_CONTAINER:-ai-stack-mirror}
versions=(0.13.5 0.34.2 0.35.0)

mirror_dir() {
  local hash
  hash=$(cat "$root"/tests/ollama_double/build_release.py "$root"/tests/ollama_double/bin/ollama \
             "$root"/tests/ollama_double/ollama_double/*.py <(echo "${versions[*]}") | sha256sum | cut -c1-12)
  echo "$root/.cache/mirror-$hash"
}

up() {
  local base dir
  base=$("$root/tests/images/build.sh" base)
  dir=$(mirror_dir)
  if [[ ! -d "$dir" ]]; then
    rm -rf "$root"/.cache/mirror-*
    python3 "$root/tests/ollama_double/build_release.py" "$dir.tmp" "${versions[@]}" >/dev/null
    mv "$dir.tmp" "$dir"
  fi
  docker network inspect "$network" >/dev/null 2>&1 ||
    docker network create --label ai-stack-lab=true "$network" >/dev/null
  if [[ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}} {{range .Mounts}}{{.Source}}{{end}}' "$mirror" 2>/dev/null)" != "true $base $dir" ]]; then
    docker rm -f "$mirror" >/dev/null 2>&1 || true
    docker run -d --name "$mirror" --label ai-stack-lab=true --network "$network" --network-alias ollama-mirror \
      -v "$dir:/srv/mirror:ro" "$base" python3 -m http.server 8080 --directory /srv/mirror >/dev/null
  fi
  for _ in $(seq 1 30); do
    docker exec "$mirror" curl -fsS -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.5
  done
  echo "export LAB_NETWORK=$network"
  echo "export LAB_BASE_IMAGE=$base"
  echo "export LAB_BODY_IMAGE=$("$root/tests/images/build.sh" body)"
  echo "export LAB_MIRROR_URL=http://ollama-mirror:8080/ollama/ollama/releases/download"
}

down() {
  docker rm -f "$mirror" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
}

"${1:-up}"
