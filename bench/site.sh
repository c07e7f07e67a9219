#!/usr/bin/env bash
# Benchmark of site.yml on the demo lab (not a test: it prints figures).
#   bench/site.sh
# Prints: cold site.yml on fresh hosts (as the team left them by hand),
# the idempotent re-run and its ratio to a fact-gathering-only play on the
# same hosts (goal <= 2x, 0 changed), and where the cold run's time went
# (per-task times from ansible.posix.profile_tasks: the double's download,
# pull and load versus the rest, which is orchestration).
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

play() {  # play NAME ARGS...: run, print seconds, keep the log
  local name=$1 t0=$EPOCHREALTIME
  shift
  ansible-playbook -i "$inventory" "$@" >"$logs/$name.log" 2>&1
  python3 -c "print(round($EPOCHREALTIME - $t0, 1))"
}
cold=$(ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=all play cold site.yml)
rerun=$(play rerun site.yml)
# The same no-op without verify, and verify alone: verify's requests run at the
# demo brain's simulated pace (about 6 tokens/s), which is generation, not Ansible.
converge=$(play converge site.yml --skip-tags verify)
verify=$(play verify site.yml --tags verify)
facts=$(play facts bench/facts_only.yml)
changed=$(python3 "$root/tests/lib/recap.py" <"$logs/rerun.log" | grep -o 'changed=[0-9]*')

echo "cold site.yml (brain, monitoring, body, verify): ${cold}s"
echo "idempotent re-run: ${rerun}s (${changed% })"
echo "  of which: no-op converge without verify ${converge}s, verify alone ${verify}s"
echo "fact-gathering-only play on the same hosts: ${facts}s; ratios: whole re-run $(python3 -c "print(round($rerun / max($facts, 1), 1))")x, converge without verify $(python3 -c "print(round($converge / max($facts, 1), 1))")x (goal <= 2x)"
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
