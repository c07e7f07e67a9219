#!/usr/bin/env bash
# Shared services every scenario uses, started once per test run:
#   - the docker network the test hosts join ($LAB_NETWORK)
#   - the release mirror of the Ollama double, reachable as http://ollama-mirror:8080
#     with the same path pattern as upstream's release URL
#   - the CloudWatch agent stand-in package at http://ollama-mirror:8080/cloudwatch/
#   - a private image registry, https://registry.lab:5000, TLS from a test CA
#     (.cache/lab/ca.crt) and htpasswd authentication, holding the stand-in
#     backend as amiqt/prototype-backend:latest and a broken build as :broken
#
#   lab-services.sh up      prints `export` lines for the environment (also kept in
#                           .cache/lab/env.sh, or in LAB_ENV_FILE), and tags the host images
#                           `:current` so that `molecule test` finds them without that environment
#   lab-services.sh down    removes what `up` made
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
network=${LAB_NETWORK:-ai-stack-lab}
mirror=${LAB_MIRROR_CONTAINER:-ai-stack-mirror}
registry=${LAB_REGISTRY_CONTAINER:-ai-stack-registry}
# The role's default release (read from where it is pinned), one older release
# past the advisory floor (0.32.3) and one below it in the old .tgz format (0.13.5).
default_version=$(sed -n 's/^ollama_brain_version: *"\{0,1\}\([0-9.]*\)"\{0,1\}$/\1/p' "$root/roles/ollama_brain/defaults/main.yml")
[[ -n $default_version ]] || { echo "no ollama_brain_version in roles/ollama_brain/defaults/main.yml" >&2; exit 1; }
versions=(0.13.5 0.32.3 "$default_version")
lab=$root/.cache/lab
registry_user=lab-deployer

mirror_dir() {
  local hash
  hash=$(cat "$root"/tests/ollama_double/build_release.py "$root"/tests/ollama_double/bin/ollama \
             "$root"/tests/ollama_double/ollama_double/*.py "$root"/tests/cloudwatch_agent_double/build_deb.sh \
             <(echo "${versions[*]}") | sha256sum | cut -c1-12)
  echo "$root/.cache/mirror-$hash"
}

# The lab's containers carry the checkout that made them (label
# ai-stack-lab.owner). Its secrets live in that checkout's .cache/, so another
# checkout cannot use it: a running lab of another checkout that still exists
# is refused before anything changes; one whose checkout is gone, or that is
# not running (a machine restarted, CI's fresh clone), is left-over and replaced.
refuse_foreign_lab() {
  local owner names
  while read -r owner; do
    [[ -n "$owner" && "$owner" != "$root" ]] || continue
    names=$(docker ps --filter "label=ai-stack-lab.owner=$owner" --format '{{.Names}}' | paste -sd, -)
    if [[ -d "$owner/.cache/lab" ]]; then
      echo "The lab running on this machine ($names) belongs to the checkout at $owner, whose secrets this one does not have; run \`make demo-clean\` there (or \`docker rm -f -v \$(docker ps -aq --filter label=ai-stack-lab.owner=$owner)\`) and try again." >&2
      exit 1
    fi
    echo "removing a left-over lab of $owner (that checkout is gone): $names" >&2
    docker ps -aq --filter "label=ai-stack-lab.owner=$owner" | xargs -r docker rm -f -v >/dev/null
  done < <(docker ps --filter label=ai-stack-lab.owner --format '{{.Label "ai-stack-lab.owner"}}' | sort -u)
}

up() {
  local base dir
  refuse_foreign_lab
  # The mirror runs on the Debian 12 service base; the hosts on LAB_DEBIAN_SUITE's images.
  base=$(LAB_DEBIAN_SUITE=bookworm "$root/tests/images/build.sh" base)
  dir=$(mirror_dir)
  if [[ ! -d "$dir" ]]; then
    rm -rf "$root"/.cache/mirror-*
    python3 "$root/tests/ollama_double/build_release.py" "$dir.tmp" "${versions[@]}" >/dev/null
    "$root/tests/cloudwatch_agent_double/build_deb.sh" "$dir.tmp/cloudwatch"
    mv "$dir.tmp" "$dir"
  fi
  docker network inspect "$network" >/dev/null 2>&1 ||
    docker network create --label ai-stack-lab=true "$network" >/dev/null
  if [[ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}} {{range .Mounts}}{{.Source}}{{end}} {{index .Config.Labels "ai-stack-lab.owner"}}' "$mirror" 2>/dev/null)" != "true $base $dir $root" ]]; then
    docker rm -f "$mirror" >/dev/null 2>&1 || true
    docker run -d --name "$mirror" --label ai-stack-lab=true --label "ai-stack-lab.owner=$root" --network "$network" --network-alias ollama-mirror \
      -v "$dir:/srv/mirror:ro" "$base" python3 -m http.server 8080 --directory /srv/mirror >/dev/null
  fi
  for _ in $(seq 1 30); do
    docker exec "$mirror" curl -fsS -o /dev/null http://127.0.0.1:8080/ && break
    sleep 0.5
  done
  ssh_key
  local image kind
  echo "export LAB_NETWORK=$network"
  echo "export LAB_DEBIAN_SUITE=${LAB_DEBIAN_SUITE:-bookworm}"
  for kind in base body; do
    image=$("$root/tests/images/build.sh" "$kind")
    docker tag "$image" "${image%:*}:current"
    echo "export LAB_${kind^^}_IMAGE=$image"
  done
  echo "export LAB_SSH_KEY=$lab/ssh/id_ed25519"
  echo "export LAB_KNOWN_HOSTS=$lab/ssh/known_hosts"
  echo "export LAB_MIRROR_URL=http://ollama-mirror:8080/ollama/ollama/releases/download"
  echo "export LAB_MIRROR_DIR=$dir"
  registry_up >&2
  echo "export LAB_REGISTRY=registry.lab:5000"
  echo "export LAB_REGISTRY_CA=$lab/ca.crt"
  echo "export LAB_REGISTRY_USER=$registry_user"
  echo "export LAB_REGISTRY_PASSWORD_FILE=$lab/registry-password"
  echo "export LAB_BACKEND_IMAGE=registry.lab:5000/amiqt/prototype-backend"
  echo "export LAB_SECRETS_DIR=$lab"
}

# The key Ansible logs in to the lab hosts with, as ubuntu (what an EC2 key pair
# is on AWS), and the host keys it trusts, recorded by host-up.sh as each host
# starts (what a user checks against the instance's console output).
ssh_key() {
  mkdir -p "$lab/ssh"
  chmod 0700 "$lab" "$lab/ssh"
  [[ -f "$lab/ssh/id_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C "ai-stack-lab" -f "$lab/ssh/id_ed25519"
  touch "$lab/ssh/known_hosts"
}

# A test CA and a certificate for registry.lab; a random password kept 0600.
registry_secrets() {
  mkdir -p "$lab/tls" "$lab/auth"
  chmod 0700 "$lab"
  if [[ ! -f "$lab/tls/registry.crt" ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=ai-stack-lab test CA" \
      -keyout "$lab/ca.key" -out "$lab/ca.crt" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=registry.lab" \
      -keyout "$lab/tls/registry.key" -out "$lab/tls/registry.csr" 2>/dev/null
    openssl x509 -req -in "$lab/tls/registry.csr" -CA "$lab/ca.crt" -CAkey "$lab/ca.key" -CAcreateserial \
      -days 30 -out "$lab/tls/registry.crt" \
      -extfile <(printf 'subjectAltName=DNS:registry.lab,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
    chmod 0644 "$lab/tls/registry.key"  # read by the registry process in its container
  fi
  # The backend's own secrets in the lab (JWT signing key, fallback provider key).
  local name
  for name in jwt-secret fallback-api-key; do
    [[ -f "$lab/$name" ]] || (umask 077; openssl rand -hex 24 >"$lab/$name")
  done
  # A user's bearer token for the backend's AI endpoint (what verify sends), minted fresh: it expires.
  # Replaced whole (rename), as checks running beside may read it at any moment.
  (umask 077; PYTHONPATH="$root/tests/backend_double" python3 -c \
    'import sys; from talent_api_double import auth; print(auth.mint(open(sys.argv[1]).read().strip(), ttl=12 * 3600))' \
    "$lab/jwt-secret" >"$lab/api-token.$$" && mv "$lab/api-token.$$" "$lab/api-token")
  if [[ ! -f "$lab/registry-password" ]]; then
    (umask 077; openssl rand -hex 16 >"$lab/registry-password")
    # bcrypt at cost 4, not Python's 12: the registry checks it on every request of every pull (12 took 0.24 s
    # of CPU each, about 140 s a run); a random 128-bit password does not rely on the cost to resist guessing.
    python3 -W ignore -c 'import crypt, sys; print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
      "$registry_user" "$(cat "$lab/registry-password")" >"$lab/auth/htpasswd"
  fi
}

registry_up() {
  local image port
  image=$("$root/tests/images/build.sh" registry)
  registry_secrets
  if [[ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}} {{index .Config.Labels "ai-stack-lab.owner"}}' "$registry" 2>/dev/null)" != "true $image $root" ]]; then
    docker rm -f "$registry" >/dev/null 2>&1 || true
    # Published on loopback only, for this host's engine to push the images.
    docker run -d --name "$registry" --label ai-stack-lab=true --label "ai-stack-lab.owner=$root" --network "$network" --network-alias registry.lab \
      -p 127.0.0.1::5000 -v "$lab/tls:/etc/registry/tls:ro" -v "$lab/auth:/etc/registry/auth:ro" "$image" >/dev/null
  fi
  port=$(docker port "$registry" 5000/tcp | head -n1 | sed 's/.*://')
  for _ in $(seq 1 40); do
    curl -s --cacert "$lab/ca.crt" -o /dev/null "https://127.0.0.1:$port/v2/" && break
    sleep 0.25
  done
  export DOCKER_CONFIG=$lab/docker-config
  docker login -u "$registry_user" --password-stdin "127.0.0.1:$port" <"$lab/registry-password" >/dev/null
  local tag src
  for tag in latest broken; do
    src=$("$root/tests/images/build.sh" "$([[ $tag == latest ]] && echo backend || echo backend-broken)")
    docker tag "$src" "127.0.0.1:$port/amiqt/prototype-backend:$tag"
    docker push -q "127.0.0.1:$port/amiqt/prototype-backend:$tag" >/dev/null
    # The port changes with every registry; drop the push-only tag so they do not pile up.
    docker image rm "127.0.0.1:$port/amiqt/prototype-backend:$tag" >/dev/null
  done
  unset DOCKER_CONFIG
}

down() {
  docker rm -f "$registry" >/dev/null 2>&1 || true
  docker rm -f "$mirror" >/dev/null 2>&1 || true
  docker network rm "$network" >/dev/null 2>&1 || true
}

case "${1:-up}" in
  up)
    mkdir -p "$lab"
    # One `up` at a time: checks running beside each other bring the services up
    # as they start (a registry push of one must not meet another's tag removal).
    exec 9>"$lab/up.lock"
    flock 9
    # A run on other hosts' images beside the scenarios (make test's Debian 13 demo)
    # keeps its environment apart: the scenarios read .cache/lab/env.sh.
    env_file=${LAB_ENV_FILE:-$lab/env.sh}
    up | tee "$env_file.tmp"
    mv "$env_file.tmp" "$env_file"
    ;;
  down) down; rm -f "$lab"/env*.sh ;;
  *) "$1" ;;
esac
