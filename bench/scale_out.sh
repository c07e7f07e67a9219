#!/usr/bin/env bash
# Throughput of 1, 2 and 3 brains behind the load balancer (a benchmark, not a
# test: it prints a table). The demo lab with three brains behind HAProxy, the
# double's m7i-flex-large profile (one simulated core per brain); for each
# count, roles/brain_lb admits that many brains and drains the rest, then
# bench/load.py runs on the body (the only client the load balancer admits)
# with the same fixed concurrency against the load balancer.
#   bench/scale_out.sh [clients] [seconds]      defaults: 4 clients, 90 s per count
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH=$root/.venv/bin:$PATH ANSIBLE_NOCOLOR=1 ANSIBLE_CONFIG=$root/ansible.cfg
clients=${1:-4} seconds=${2:-90}
logs=$(mktemp -d /tmp/bench-scale-out.XXXXXX)
trap 'tests/lab/demo.sh down >/dev/null 2>&1 || true' EXIT

tests/lab/demo.sh down >/dev/null 2>&1 || true
tests/lab/demo.sh up >"$logs/up.log" 2>&1
LAB_BRAINS=3 tests/lab/demo.sh scale-out >"$logs/scale-out.log" 2>&1
eval "$(tests/lib/lab-services.sh up 2>/dev/null)"
lb=$(docker inspect -f "{{(index .NetworkSettings.Networks \"$LAB_NETWORK\").IPAddress}}" "${LAB_DEMO:-demo}-lb")

declare -A rate
printf '%-7s %8s %7s %9s %12s %10s %10s\n' brains clients requests failed tokens/s ttft_p50 ttft_p95
for count in 1 2 3; do
  ansible-playbook -i tests/lab/inventory bench/lb_serving.yml -e bench_serving=$count >"$logs/serving-$count.log" 2>&1
  docker exec -i "${LAB_DEMO:-demo}-body" python3 - ollama --url "http://$lb:11434" --clients "$clients" --seconds "$seconds" \
    --timeout 120 --json <bench/load.py >"$logs/load-$count.json"
  read -r requests failed tps p50 p95 < <(python3 -c 'import json,sys; s=json.load(open(sys.argv[1]));
print(s["requests"], s["failed"], s["tokens_per_second"], round(s["ttft_p50"] or -1, 2), round(s["ttft_p95"] or -1, 2))' "$logs/load-$count.json")
  rate[$count]=$tps
  printf '%-7s %8s %7s %9s %12s %10s %10s\n' "$count" "$clients" "$requests" "$failed" "$tps" "${p50}s" "${p95}s"
done
echo "2 brains / 1 brain: $(python3 -c "print(round(${rate[2]} / ${rate[1]}, 2))")x (goal >= 1.8x); 3 / 1: $(python3 -c "print(round(${rate[3]} / ${rate[1]}, 2))")x"
echo "logs: $logs"
