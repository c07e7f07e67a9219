#!/usr/bin/env bash
# The local lab behind `make demo`: brain, body and an outsider as systemd
# containers beside the shared rig (private registry, Ollama release mirror),
# found by a Docker dynamic inventory with the EC2 inventory's groups and
# hostvars; then the same site.yml a user runs against AWS, verify included.
#   demo.sh up      bring the lab up (or reuse it) and converge it with site.yml
#   demo.sh hosts   only the hosts, as the team left them by hand (no site.yml)
#   demo.sh scale-out [options]   add a second brain (LAB_BRAINS=3: two more) and
#                   HAProxy in front of them (the lab's stand-in for the ALB), then
#                   converge with site.yml
#   demo.sh play PLAYBOOK [options]   any playbook against the lab (with its LAB_* settings)
#   demo.sh down    remove every container, volume and network the lab made
#   demo.sh down-hosts   remove the demo's hosts only, keeping the shared services
#                   (registry, mirror, network) that others started and still use
#   LAB_DEMO=NAME demo.sh ...   another demo beside this one (default: demo): its hosts are
#                   NAME-brain, NAME-body..., the inventory finds only them, and
#                   down-hosts removes only them (make test runs Debian 12 and 13 side by side)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
inventory=$root/tests/lab/inventory
demo=${LAB_DEMO:-demo}
[[ $demo =~ ^[a-z][a-z0-9]*$ ]] || { echo "demo.sh: LAB_DEMO is '$demo'; give lower-case letters and digits (a container name prefix)" >&2; exit 2; }
export ANSIBLE_CONFIG=$root/ansible.cfg

host_up() {
  local name=$1 group=$2 kind=$3
  "$root/tests/lab/host-up.sh" "$name" "$kind" --network "$LAB_NETWORK" --label "ai-stack-lab.demo=$demo" \
    --label "ai-stack-lab.group=$group" --label "ai-stack-lab.network=$LAB_NETWORK"
}

hosts() {
  local lab_env
  # Assigned first: a refusal (another checkout's lab) must stop here, and eval "$(...)" would hide it.
  lab_env=$("$root/tests/lib/lab-services.sh" up)
  eval "$lab_env"
  host_up "$demo-brain" brain brain
  host_up "$demo-body" body body
  host_up "$demo-outsider" outsiders outsider

  echo "== the lab as the team left it by hand (once per host)"
  ansible-playbook -i "$inventory" "$root/tests/lab/playbooks/handbuilt.yml"
}

up() {
  hosts
  echo "== site.yml, as against AWS (inventory: tests/lab/inventory)"
  ansible-playbook -i "$inventory" "$root/site.yml" "$@"
  cat <<EOF

The lab is converged and verified. Next:
  report       reports/verify-$demo-body.json (the table is printed above)
  rerun        make demo                       (a second run changes nothing)
  one phase    tests/lab/demo.sh play site.yml --tags verify      (or brain, body, monitoring)
  drill        tests/lab/demo.sh play playbooks/failover_drill.yml   (Phase 5: stop Ollama, fallback, restore)
  a shell      docker exec -it $demo-brain bash   (or $demo-body: docker ps inside it)
  clean up     make demo-clean
EOF
}

# remove_hosts FILTER...: remove the containers that docker ps finds with any of
# them, with -v (the body's anonymous volume holding its inner engine's images).
remove_hosts() {
  local filter ids=() found
  for filter; do
    mapfile -t found < <(docker ps -aq --filter "$filter")
    ids+=("${found[@]}")
  done
  ((${#ids[@]} == 0)) || docker rm -f -v "${ids[@]}" >/dev/null
}

# This demo's hosts only: another demo, or tests/e2e/test_aws_inventory.py, may run beside it.
down_hosts() { remove_hosts "label=ai-stack-lab.demo=$demo"; }

down() {
  # Every demo's hosts, and what an interrupted tests/e2e/test_aws_inventory.py left (label ai-stack-lab.aws).
  remove_hosts label=ai-stack-lab.demo label=ai-stack-lab.aws=true
  "$root/tests/lib/lab-services.sh" down
  docker network ls -q --filter label=ai-stack-lab.aws=true | xargs -r docker network rm >/dev/null
  echo "lab removed (containers, volumes, registry, mirror, network)"
}

# Two brains behind HAProxy, as aws_stack_brain_count=2 puts them behind an
# ALB: the new brain is a fresh host (a new instance), the load balancer a
# plain one that roles/brain_lb installs HAProxy on.
scale_out() {
  local lab_env
  lab_env=$("$root/tests/lib/lab-services.sh" up)
  eval "$lab_env"
  local i
  for ((i = 2; i <= ${LAB_BRAINS:-2}; i++)); do
    host_up "$demo-brain-$i" brain brain
  done
  host_up "$demo-lb" lb lb
  echo "== site.yml with ${LAB_BRAINS:-2} brains behind the load balancer"
  ansible-playbook -i "$inventory" "$root/site.yml" "$@"
  cat <<EOF

${LAB_BRAINS:-2} brains serve behind HAProxy ($demo-lb); the body calls the load balancer. Next:
  upgrade      tests/lab/demo.sh play playbooks/rolling_upgrade.yml -e ollama_brain_version=0.32.3
  load         .venv/bin/python bench/load.py --help
  clean up     make demo-clean
EOF
}

case "${1:-up}" in
  up) shift || true; up "$@" ;;
  scale-out) shift; scale_out "$@" ;;
  hosts) hosts ;;
  play)
    shift
    lab_env=$("$root/tests/lib/lab-services.sh" up)
    eval "$lab_env"
    ansible-playbook -i "$inventory" "$@"
    ;;
  down) down ;;
  down-hosts) down_hosts ;;
  *) echo "usage: demo.sh up [ansible-playbook options] | hosts | scale-out [options] | play PLAYBOOK [options] | down | down-hosts" >&2
     exit 2 ;;
esac
