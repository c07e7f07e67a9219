#!/usr/bin/env bash
# The local lab behind `make demo`: brain, body and an outsider as systemd
# containers beside the shared rig (private registry, Ollama release mirror),
# found by a Docker dynamic inventory with the EC2 inventory's groups and
# hostvars; then the same site.yml a user runs against AWS, verify included.
#   demo.sh up      bring the lab up (or reuse it) and converge it with site.yml
#   demo.sh hosts   only the hosts, as the team left them by hand (no site.yml)
#   demo.sh play PLAYBOOK [options]   any playbook against the lab (with its LAB_* settings)
#   demo.sh down    remove every container, volume and network the lab made
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
inventory=$root/tests/lab/inventory
export ANSIBLE_CONFIG=$root/ansible.cfg

# Capabilities this engine knows, but SYS_RESOURCE (missing from the bounding set
# here): the body runs its own Docker engine and every host runs nftables.
caps=(--cap-add ALL --cap-drop SYS_RESOURCE)

host_up() {
  local name=$1 group=$2 image=$3
  shift 3
  if [[ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" == true ]]; then
    return 0
  fi
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  echo "starting $name ($group)"
  docker run -d --name "$name" --hostname "$name" --network "$LAB_NETWORK" \
    --label ai-stack-lab.demo=true --label "ai-stack-lab.group=$group" --label "ai-stack-lab.network=$LAB_NETWORK" \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    "$@" "$image" /lib/systemd/systemd >/dev/null
}

hosts() {
  eval "$("$root/tests/lib/lab-services.sh" up)"
  host_up demo-brain brain "$LAB_BASE_IMAGE" "${caps[@]}" -v /sys/fs/cgroup:/sys/fs/cgroup:ro
  # The inner engine's storage on a real filesystem (overlay on overlay does not mount).
  host_up demo-body body "$LAB_BODY_IMAGE" "${caps[@]}" --memory 2g -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v /var/lib/docker
  host_up demo-outsider outsiders "$LAB_BASE_IMAGE" -v /sys/fs/cgroup:/sys/fs/cgroup:ro

  echo "== the lab as the team left it by hand (once per host)"
  ansible-playbook -i "$inventory" "$root/tests/lab/playbooks/handbuilt.yml"
}

up() {
  hosts
  echo "== site.yml, as against AWS (inventory: tests/lab/inventory)"
  ansible-playbook -i "$inventory" "$root/site.yml" "$@"
  cat <<EOF

The lab is converged and verified. Next:
  report       reports/verify-demo-body.json (the table is printed above)
  rerun        make demo                       (a second run changes nothing)
  one phase    tests/lab/demo.sh play site.yml --tags verify      (or brain, body, monitoring)
  drill        tests/lab/demo.sh play playbooks/failover_drill.yml   (Phase 5: stop Ollama, fallback, restore)
  a shell      docker exec -it demo-brain bash   (or demo-body: docker ps inside it)
  clean up     make demo-clean
EOF
}

down() {
  local ids
  ids=$(docker ps -aq --filter label=ai-stack-lab.demo=true)
  # -v: the body's anonymous volume holding its inner engine's images.
  [[ -z "$ids" ]] || docker rm -f -v $ids >/dev/null
  "$root/tests/lib/lab-services.sh" down
  echo "lab removed (containers, volumes, registry, mirror, network)"
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  hosts) hosts ;;
  play)
    shift
    eval "$("$root/tests/lib/lab-services.sh" up)"
    ansible-playbook -i "$inventory" "$@"
    ;;
  down) down ;;
  *) echo "usage: demo.sh up [ansible-playbook options] | hosts | play PLAYBOOK [options] | down" >&2; exit 2 ;;
esac
