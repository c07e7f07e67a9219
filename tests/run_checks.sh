#!/usr/bin/env bash
# Every check `make test` runs, in order, each logged to .cache/logs/<check>.log.
# A failing check does not stop the others; the run ends with one line
# `N passed, N failed` and exits non-zero when anything failed.
#
#   tests/run_checks.sh                 all checks
#   CHECKS="ruff pytest" tests/run_checks.sh     only those (by name prefix)
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
logs="$root/.cache/logs"
mkdir -p "$logs"
export ANSIBLE_CONFIG="$root/ansible.cfg"
export PY_COLORS=0 ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 NO_COLOR=1

passed=0 failed=0 skipped=0 failures=()

wanted() {
  [[ -z "${CHECKS:-}" ]] && return 0
  local c
  for c in $CHECKS; do [[ "$1" == "$c"* ]] && return 0; done
  return 1
}

# A check exits 3 when it cannot run here; it is then SKIP with the first line of
# its log as the reason, counted apart (never as passed).
# Each line gives the check's wall time and the CPU time of its own processes
# (the lab hosts' containers are not counted): where the cores went.
record() {  # record NAME: count the result its status file holds and print its line
  local name=$1 rc=1 seconds='?' cpu='' times
  # No status: the check's process ended without writing one, which is a failure.
  [[ -f $logs/$name.status ]] && read -r rc seconds cpu <"$logs/$name.status"
  times=$(printf '%4ss  CPU %5ss' "$seconds" "${cpu:-?}")
  if ((rc == 0)); then
    passed=$((passed + 1))
    printf 'PASS  %-40s %s\n' "$name" "$times"
  elif ((rc == 3)); then
    skipped=$((skipped + 1))
    printf 'SKIP  %-40s %s  (%s)\n' "$name" "$times" "$(head -n 1 "$logs/$name.log")"
  else
    failed=$((failed + 1))
    failures+=("$name")
    printf 'FAIL  %-40s %s  (log: .cache/logs/%s.log)\n' "$name" "$times" "$name"
    tail -n 25 "$logs/$name.log" | sed 's/^/      /'
  fi
}

# run_to_status NAME COMMAND...: run it into NAME's log; "rc seconds cpu-seconds" go to NAME's status file.
# In a subshell, so that `times` counts this command's processes only.
run_to_status() {
  local name=$1 started=$SECONDS rc=0; shift
  rm -f "$logs/$name.status"
  # `times` itself must run in that subshell, not in a pipeline's (a fork of its own, with nothing counted).
  ( "$@"; rc=$?; times >"$logs/$name.cpu"; exit "$rc" ) >"$logs/$name.log" 2>&1 || rc=$?
  echo "$rc $((SECONDS - started)) $(awk 'NR == 2 { split($1, u, /[ms]/); split($2, s, /[ms]/)
                                               printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
                                           "$logs/$name.cpu" 2>/dev/null)" >"$logs/$name.status"
  rm -f "$logs/$name.cpu"
}

check() {
  wanted "$1" || return 0
  run_to_status "$@"
  record "$1"
}

# Checks that use no Docker run beside the lab's checks, which mostly wait on
# their hosts; each one's line is printed when it is collected.
background=()

check_beside() {
  wanted "$1" || return 0
  run_to_status "$@" &
  background+=("$1:$!")
}

# Checks run one after another in the background, beside the foreground ones;
# each one's line is printed when it is collected.
#   lane_beside NAME "FUNCTION ARG" [NAME "FUNCTION ARG" ...]   (words split on spaces)
lane_beside() {
  local names=() commands=()
  while (($#)); do
    wanted "$1" && { names+=("$1"); commands+=("$2"); }
    shift 2
  done
  ((${#names[@]})) || return 0
  ( for i in "${!names[@]}"; do
      # shellcheck disable=SC2086  # a function name and its arguments
      run_to_status "${names[$i]}" ${commands[$i]}
    done ) &
  local pid=$! name
  for name in "${names[@]}"; do background+=("$name:$pid"); done
}

# collect_beside [NAME...]: wait for those checks (all when none are named) and print their lines.
collect_beside() {
  local entry rest=()
  for entry in "${background[@]}"; do
    if (($#)) && [[ " $* " != *" ${entry%%:*} "* ]]; then
      rest+=("$entry")
      continue
    fi
    # A lane's checks share one process: the second wait finds it gone, and its status file says how each ended.
    wait "${entry#*:}" 2>/dev/null
    record "${entry%%:*}"
  done
  background=("${rest[@]}")
}

ansible_docs() {
  local path module
  # The project's modules, and those a role ships with it (documentation of a role's action plugin).
  for path in library/*.py roles/*/library/*.py; do
    module=$(basename "$path" .py)
    ansible-doc -M "$(dirname "$path")" "$module" >/dev/null || { echo "ansible-doc failed for $path"; return 1; }
    echo "ansible-doc: $path renders"
  done
}

# ansible-lint's syntax check runs `ansible-playbook --syntax-check` on each playbook and role without
# -i, so each would load ansible.cfg's inventory, the EC2 plugin: boto3 clients, and AWS calls with
# whatever credentials the shell has. No inventory instead, as syntax_checks below gives its own.
ansible_lint() { ANSIBLE_INVENTORY=/dev/null ansible-lint; }

syntax_checks() {
  local playbook
  for playbook in site.yml playbooks/*.yml; do
    [[ -f "$playbook" ]] || continue
    ansible-playbook -i localhost, --syntax-check "$playbook" || return 1
  done
}

argument_specs_match_defaults() {
  python3 tests/lib/check_argument_specs.py roles/*/ &&
    # Every public variable a user could get wrong has a guard beyond its type.
    python3 tests/lib/input_guards.py --check >/dev/null &&
    # Role READMEs' variable tables are generated from the same specs.
    python3 tools/role_docs.py --check
}

pytest_unit() {
  # Four workers on two cores: much of the suite waits on the doubles' simulated inference, not the CPU.
  pytest -p no:cacheprovider --timeout=300 --durations=10 -n 4 tests/unit
  local rc=$?
  # pytest exits 5 when it collected nothing: that is a failure here, not a pass.
  return $rc
}

pytest_aws() {
  # provision/teardown playbooks and the EC2 inventory against moto_server on loopback. The inventory's
  # checks run on the scale-out test's stack (test_inventory.py provisions one of its own for ansible-current).
  pytest -p no:cacheprovider --timeout=900 --durations=0 --ignore=tests/aws/test_inventory.py tests/aws
}

# e2e_pytest ARGS...: a pytest of the end-to-end tests, with their shared options (a demo
# converges in minutes, so a test may take up to half an hour; durations show where time went).
e2e_pytest() { pytest -p no:cacheprovider --timeout=1800 --durations=0 "$@"; }

pytest_e2e() {
  # make demo end to end on its own lab (brings it up, removes it at the end);
  # beside it, each in a pytest of its own, the scale-out (a second brain, a
  # load balancer, rolling upgrades under load) on a demo of its own name, and
  # site.yml through inventory/aws_ec2.yml on moto (hosts and a network of its
  # own); hosts on Debian 12. Their output follows the demo's. The scale-out
  # converges a demo of its own (as `make demo-two-brains` does) instead of
  # waiting for this one's drills: its half of the run mostly waits on requests.
  # (pytest-xdist's loadgroup would do this in one pytest, but with pytest 9 it
  # spreads one group's tests over both workers.)
  local rc=0 part pids=() parts=(scale-out aws)
  LAB_DEBIAN_SUITE=bookworm LAB_DEMO=demo2 LAB_ENV_FILE=$root/.cache/lab/env-demo2.sh \
    e2e_pytest tests/e2e/test_scale_out_lab.py \
    >"$logs/e2e-demo.scale-out.log" 2>&1 &
  pids+=($!)
  LAB_DEBIAN_SUITE=bookworm e2e_pytest tests/e2e/test_aws_inventory.py >"$logs/e2e-demo.aws.log" 2>&1 &
  pids+=($!)
  LAB_DEBIAN_SUITE=bookworm e2e_pytest tests/e2e/test_demo.py || rc=$?
  for part in 0 1; do
    wait "${pids[$part]}" || rc=$((rc ? rc : $?))
    echo "== the ${parts[$part]} part, run beside the demo (LAB_DEMO=demo2 for the scale-out)"
    cat "$logs/e2e-demo.${parts[$part]}.log"
  done
  return "$rc"
}

# What differs between Debian releases is the hosts' packages and systemd: on
# Debian 13, the demo from the hand-built lab (check mode, converge, verify over
# SSH with sudo, a no-op re-run, a drift check, a restart that re-warms), not
# the release-independent drills again.
TRIXIE_SMOKE="hand_built_lab or first_demo or over_ssh or second_demo or clean_drift_check or service_restarts"

# It runs beside the Debian 12 demo: a demo of its own name (hosts demo13-*),
# and its lab environment kept apart from the one the scenarios read.
pytest_e2e_trixie() {
  LAB_DEBIAN_SUITE=trixie LAB_DEMO=demo13 LAB_ENV_FILE=$root/.cache/lab/env-trixie.sh \
    e2e_pytest -k "$TRIXIE_SMOKE" tests/e2e/test_demo.py
}

# A Python >= 3.12 on this machine, for the newest ansible (never required).
python_for_current_ansible() {
  local candidate
  for candidate in python3.14 python3.13 python3.12 "$(pyenv root 2>/dev/null)"/versions/3.1[2-9]*/bin/python3; do
    candidate=$(command -v "$candidate" 2>/dev/null) || continue
    "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo "$candidate"; return; }
  done
  return 1
}

# The supported range ends at ansible 14 (ansible-core 2.21): the unit tests,
# the EC2 inventory and provisioning on moto (amazon.aws 11, whose inventory
# has ec2_tags), module docs and syntax checks under it, in a venv of its own.
ansible_current() {
  local python venv=.cache/venv-current
  python=$(python_for_current_ansible) ||
    { echo "no Python >= 3.12 on this machine, which ansible 14 needs; install one to run this check"; return 3; }
  # Shared by checkouts like .venv (tools/venv.sh); a directory of its own here is used as it is while it is
  # newer than the pins.
  if [[ -L $venv || ! -f $venv/.installed || requirements-current.txt -nt $venv/.installed ]]; then
    tools/venv.sh "$venv" "$python" requirements-current.txt || return 1
  fi
  (
    export PATH=$root/$venv/bin:$PATH
    ansible --version | head -n 2
    python --version
    pytest -p no:cacheprovider --timeout=300 -q tests/unit &&
      pytest -p no:cacheprovider --timeout=900 -q tests/aws/test_inventory.py &&
      ansible_docs && syntax_checks
  )
}

# One converged set of hosts serves every check of a scenario: converge,
# idempotence and the read-only verify (molecule test, hosts kept), then the
# drills that change the hosts (they start with a converge of their own), then
# destroy. A scenario without drills verifies a second time instead, so every
# scenario proves that verify does not depend on running once.
#
# Each runs as a role developer types it, without this script's LAB_*
# environment: molecule's dependency step and the lab inventory find the lab
# through .cache/lab/env.sh, so every scenario is proved to run on its own.
# A developer's shell: no LAB_* environment and no ANSIBLE_CONFIG from this script.
forget_lab_env() {
  local name
  for name in $(compgen -e | grep '^LAB_' || true); do unset "$name"; done
  unset ANSIBLE_CONFIG
}

molecule_scenario() {
  (
    forget_lab_env
    rc=0
    molecule destroy -s "$1" >/dev/null 2>&1 || true
    molecule test -s "$1" --destroy never || rc=$?
    if ((rc == 0)) && [[ -d molecule/$1/drills ]]; then
      MOLECULE_VERIFY_DIR=drills molecule verify -s "$1" || rc=$?
    elif ((rc == 0)); then
      molecule verify -s "$1" || rc=$?
    fi
    molecule destroy -s "$1" || rc=$?
    exit "$rc"
  )
}

# The default scenario (the rig's own tests) runs the way a role developer or a
# CI job types it: `molecule test -s default` from the root of a fresh clone
# where only `make venv` ran (the venv is shared here), without this script's
# LAB_* environment; molecule's dependency step has to bring up the engine,
# images and lab services itself. It runs first, before this checkout's lab
# comes up (two checkouts' labs may not share a machine): on a cold machine it
# is the one that builds the Debian 12 images, which the lab then reuses.
molecule_alone() {
  local clone=$root/.cache/molecule-alone rc=0
  rm -rf "$clone"
  git clone -q "$root" "$clone"
  ln -s "$root/.venv" "$clone/.venv"
  (
    cd "$clone"
    forget_lab_env
    export PATH=$clone/.venv/bin:$PATH
    molecule test -s default --destroy never && molecule verify -s default
    rc=$?
    molecule destroy -s default || rc=1
    exit "$rc"
  ) || rc=$?
  (cd "$clone" && tests/lib/lab-services.sh down) || true
  rm -rf "$clone"
  return "$rc"
}

# Scenarios that run after the Debian 13 demo, in its lane, instead of after
# the other scenarios: the scenario lane (ollama_brain's drills) ended minutes
# after every other check, with one core idle, while the Debian 13 demo ends
# about when the machine stops being busy (on a5ef18a, warm: the lane ran from
# minute 2 to 32, the Debian 13 demo from 11 to 20, the Debian 12 one to 27).
AFTER_TRIXIE="talent_api"

# The default scenario first, beside the checks below; this checkout's lab
# services, left from an earlier run, would stop its clone's lab.
default_pid=
if wanted molecule-default; then
  tests/lib/lab-services.sh down >/dev/null 2>&1 || true
  check_beside molecule-default molecule_alone
  default_pid=$!
fi
# The scenarios and both demos use the lab's services (the demos run side by
# side, so neither may bring them up, or take them down, for itself).
needs_lab=false
wanted e2e-demo && needs_lab=true
wanted e2e-demo-trixie && needs_lab=true
for scenario in molecule/*/molecule.yml; do
  name=$(basename "$(dirname "$scenario")")
  [[ $name == default ]] && continue  # runs alone, first
  wanted "molecule-$name" && needs_lab=true
done
if $needs_lab; then
  # Images and lab services build in the background (network and disk bound:
  # debootstrap, registry pushes) while the CPU-bound checks below run, once the
  # default scenario's lab is gone.
  (
    while [[ -n $default_pid ]] && kill -0 "$default_pid" 2>/dev/null; do sleep 1; done
    tests/lib/lab-services.sh up
  ) >"$logs/lab-services.env" 2>"$logs/lab-services.log" &
  lab_pid=$!
fi
# The Debian 13 hosts' images, for its demo, build meanwhile too.
trixie_pid=
if wanted e2e-demo-trixie; then
  (for kind in base body; do LAB_DEBIAN_SUITE=trixie tests/images/build.sh "$kind" || exit 1; done) \
    >"$logs/images-trixie.log" 2>&1 &
  trixie_pid=$!
fi

check yamllint yamllint -s .
check ansible-lint ansible_lint
check ruff ruff check .
check ansible-doc ansible_docs
check syntax-check syntax_checks
check argument-specs argument_specs_match_defaults
check pytest pytest_unit
# The checks beside the lab that keep both cores busy; the demos wait for them (below).
cpu_bound=(aws-moto ansible-current gates)
check_beside aws-moto pytest_aws
check_beside ansible-current ansible_current
# Every check above and below turns red on a defect planted in a throw-away clone.
check_beside gates pytest -p no:cacheprovider --timeout=900 -q tests/gates

# The scenarios in AFTER_TRIXIE, for the Debian 13 demo's lane (below); none when the lab did not come up.
late=()
if $needs_lab; then
  if wait "$lab_pid"; then
    eval "$(cat "$logs/lab-services.env")"
    trap 'tests/lib/lab-services.sh down' EXIT
    # The other scenarios, one after another, beside everything from here on.
    lane=()
    for scenario in molecule/*/molecule.yml; do
      name=$(basename "$(dirname "$scenario")")
      [[ $name == default ]] && continue  # runs alone, first
      if [[ " $AFTER_TRIXIE " == *" $name "* ]]; then
        late+=("molecule-$name" "molecule_scenario $name")
      else
        lane+=("molecule-$name" "molecule_scenario $name")
      fi
    done
    lane_beside "${lane[@]}"
  else
    failed=$((failed + 1))
    failures+=("lab-services")
    echo "FAIL  lab-services (log: .cache/logs/lab-services.log)"
    tail -n 25 "$logs/lab-services.log" | sed 's/^/      /'
  fi
fi

# The demo end to end on Debian 12 (its own hosts; it leaves the lab's services
# to the scenarios that use them) starts once the CPU-bound checks beside have
# ended: the scenarios mostly wait on their hosts, but beside those checks as
# well it was measured slower (commit 45b8216, two cores).
collect_beside "${cpu_bound[@]}"
# The Debian 13 demo beside the Debian 12 one: the end of the e2e mostly waits
# on requests (drains, wedges, upgrades under load). Its images were built
# beside the checks above; a failed build is retried, and reported, by the check itself.
[[ -z $trixie_pid ]] || wait "$trixie_pid" || true
lane_beside e2e-demo-trixie pytest_e2e_trixie "${late[@]}"
check e2e-demo pytest_e2e
collect_beside

if ((failed)); then
  echo "failed checks: ${failures[*]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
