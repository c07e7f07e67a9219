#!/usr/bin/env bash
# Benchmark of site.yml on the demo lab, over SSH as ubuntu with sudo (not a
# test: it prints figures).
#   bench/site.sh
# Prints: cold site.yml on fresh hosts (as the team left them by hand); the
# no-op re-run against a fact-gathering-only play on the same hosts, with the
# default strategy (goal <= 5x) and under mitogen_linear (goal <= 3x); the
# brain role alone against facts on the brain (goal <= 3x); changed=0 in every
# no-op; and where the cold run's time went (ansible.posix.profile_tasks).
# The brain runs the Ollama double's `fast` profile here: the ratios measure
# Ansible's work, not the simulated 6 tokens/s of the demo's m7i-flex-large
# profile (verify alone takes ~30 s at that pace, all of it generation).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=$root/.venv/bin:$PATH ANSIBLE_NOCOLOR=1 PY_COLORS=0 ANSIBLE_CONFIG=$root/ansible.cfg
inventory=tests/lab/inventory
logs=$(mktemp -d /tmp/bench-site.XXXXXX)
trap 'tests/lab/demo.sh down >/dev/null 2>&1 || true' EXIT

tests/lab/demo.sh down >/dev/null 2>&1 || true
tests/lab/demo.sh hosts >"$logs/hosts.log" 2>&1
eval "$(tests/lib/lab-services.sh up 2>/dev/null)"

fast=$logs/fast-profile.yml
printf 'ollama_brain_environment:\n  OLLAMA_DOUBLE_PROFILE: fast\n' >"$fast"

play() {  # play NAME ARGS...: run, print seconds, keep the log ($wrap: a command to run it under)
  local name=$1 t0=$EPOCHREALTIME
  shift
  ${wrap:-} ansible-playbook -i "$inventory" "$@" >"$logs/$name.log" 2>&1
  python3 -c "print(round($EPOCHREALTIME - $t0, 2))"
}
changed() { python3 "$root/tests/lib/recap.py" <"$logs/$1.log" | grep -o 'changed=[0-9]*' | sort -u | paste -sd, -; }
ratio() { python3 -c "print(round($1 / $2, 1))"; }
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

cold=$(ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all play cold site.yml -e @"$fast")
# Three rounds, medians: each round runs every play once, so all see the same host load.
declare -a site facts brain facts_brain site_m facts_m
for round in 1 2 3; do
  site+=("$(play "site-$round" site.yml -e @"$fast")")
  facts+=("$(play "facts-$round" bench/facts_only.yml)")
  brain+=("$(play "brain-$round" bench/brain_only.yml -e @"$fast")")
  facts_brain+=("$(play "facts-brain-$round" bench/facts_brain.yml)")
  site_m+=("$(wrap=tools/with-mitogen play "site-mitogen-$round" site.yml -e @"$fast")")
  facts_m+=("$(wrap=tools/with-mitogen play "facts-mitogen-$round" bench/facts_only.yml)")
done
s=$(median "${site[@]}"); f=$(median "${facts[@]}"); b=$(median "${brain[@]}"); fb=$(median "${facts_brain[@]}")
sm=$(median "${site_m[@]}"); fm=$(median "${facts_m[@]}")

echo "cold site.yml (brain, monitoring, body, verify): ${cold}s"
echo "no-op site.yml, linear: ${s}s (runs: ${site[*]}; $(changed site-1) $(changed site-2) $(changed site-3))"
echo "  facts-only play on brain and body: ${f}s (runs: ${facts[*]}); ratio $(ratio "$s" "$f")x (goal <= 5x)"
echo "no-op site.yml, mitogen_linear: ${sm}s (runs: ${site_m[*]}; $(changed site-mitogen-1) $(changed site-mitogen-2) $(changed site-mitogen-3))"
echo "  facts-only play under mitogen_linear: ${fm}s (runs: ${facts_m[*]}); ratio $(ratio "$sm" "$fm")x (goal <= 3x)"
echo "brain role alone, no-op: ${b}s (runs: ${brain[*]}; $(changed brain-1))"
echo "  facts-only play on the brain: ${fb}s (runs: ${facts_brain[*]}); ratio $(ratio "$b" "$fb")x (goal <= 3x)"
# profile_tasks lines: "<task name> ----- 12.34s"
python3 - "$logs/cold.log" <<'PY'
import re, sys
tasks = [(m[1].strip(), float(m[2])) for m in re.finditer(r"^(.+?) -{3,} (\d+\.\d+)s$", open(sys.argv[1]).read(), re.M)]
model_work = [(n, s) for n, s in tasks if re.search(r"[Dd]ownload|[Pp]ull|[Ll]oad|[Ww]arm|[Ww]ait", n)]
total, model = sum(s for _, s in tasks), sum(s for _, s in model_work)
print(f"cold run task time {total:.1f}s; download/pull/load/wait tasks {model:.1f}s; orchestration beyond them {total - model:.1f}s")
for name, seconds in sorted(tasks, key=lambda t: -t[1])[:8]:
    print(f"  {seconds:7.2f}s  {name}")
PY
echo "logs: $logs"
