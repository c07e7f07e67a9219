#!/usr/bin/env bash
# Benchmark (not a test: it prints figures) of what the brain's front door adds
# to a warm request, side by side with Ollama reached directly on the brain's
# loopback, on the converged demo lab (make demo). Run on the brain itself, so
# neither path crosses the lab network; direct and front door requests
# alternate, so a drift of the machine's speed hits both alike.
#   bench/front_door.sh [REQUESTS]     (default 30 per path and kind)
set -euo pipefail
requests=${1:-30}
brain=${LAB_DEMO:-demo}-brain
address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$brain")
docker exec -i "$brain" python3 - "$requests" "$address" <<'PY'
import json
import statistics
import sys
import time
import urllib.request

requests, address = int(sys.argv[1]), sys.argv[2]
paths = {"direct": "http://127.0.0.1:11435", "front door": f"http://{address}:11434"}
kinds = {
    "GET /api/version": ("/api/version", None),
    "POST /api/generate, 1 token": ("/api/generate", {"model": "gemma3:4b", "prompt": "hi", "stream": False,
                                                      "options": {"num_predict": 1}}),
}


def timed(url, body):
    data = json.dumps(body).encode() if body is not None else None
    started = time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=60) as answer:
        answer.read()
    return (time.perf_counter() - started) * 1000


for kind, (path, body) in kinds.items():
    samples = {name: [] for name in paths}
    for _ in range(requests):
        for name, base in paths.items():
            samples[name].append(timed(base + path, body))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    for name, values in samples.items():
        print(f"{kind:30} {name:10} median {medians[name]:9.2f} ms  min {min(values):9.2f}  max {max(values):9.2f}  n={len(values)}")
    print(f"{kind:30} front door adds {medians['front door'] - medians['direct']:+.2f} ms (median against median)")
PY
