#!/usr/bin/env python3
"""A bounded load: a fixed number of clients send requests back to back for a
fixed time, then stop by themselves (a benchmark, not a test: it prints figures).

    load.py ollama  --url http://LB:11434 --model gemma3:4b [--clients 4] [--seconds 60]
    load.py backend --url http://BODY:8080 --token-file TOKEN [--clients 2] [--seconds 60]

`ollama` streams /api/generate with the backend's options from each client, so
it measures time to first token and tokens/s as the brains deliver them.
`backend` sends the backend's authenticated AI command, the request users
make; a request fails when it gets no HTTP 200 or when the backend answered it
from its fallback provider instead of Ollama (that is the outage users notice).

Each request has its own timeout; no request starts after --seconds, and
SIGINT or SIGTERM ends the run early the same way (requests in flight finish).
The whole run is bounded by --seconds plus --timeout. Prints a table, and one
JSON line (with --json) for scripts. Standard library only, so it also runs on
a lab host with the system Python.
"""

from __future__ import annotations

import argparse
import json
import signal
import statistics
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

# The backend's ChatOllama options (AI_TEMPERATURE and the client's defaults).
BACKEND_OPTIONS = {"temperature": 0.7, "num_predict": 2048, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}
PROMPTS = [
    "Summarise this candidate's strengths in two sentences.",
    "Which three skills matter most for a data engineer?",
    "Write a short, friendly reply declining an interview slot.",
    "List the key requirements of a senior Python role.",
]


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ok = 0
        self.failures: dict[str, int] = {}
        self.tokens = 0
        self.ttft: list[float] = []
        self.latency: list[float] = []
        self.by_source: dict[str, int] = {}

    def fail(self, reason: str) -> None:
        with self.lock:
            self.failures[reason] = self.failures.get(reason, 0) + 1


class Failed(Exception):
    """A request that counts as failed, with the reason the table shows."""


def exchange(request: urllib.request.Request, timeout: float, read):
    """Send one request and return read(response); any failure raises Failed."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return read(response)
    except urllib.error.HTTPError as exc:
        raise Failed(f"HTTP {exc.code}") from exc
    except (OSError, ValueError) as exc:
        raise Failed(type(exc).__name__) from exc


def ask_ollama(args, prompt: str, results: Results) -> None:
    body = json.dumps({"model": args.model, "prompt": prompt, "stream": True, "options": BACKEND_OPTIONS}).encode()
    request = urllib.request.Request(args.url.rstrip("/") + "/api/generate", data=body,
                                     headers={"Content-Type": "application/json"}, method="POST")
    started = time.monotonic()
    first: list[float] = []

    def read_stream(response) -> dict:
        for line in response:
            chunk = json.loads(line) if line.strip() else {}
            if "error" in chunk:
                raise ValueError(chunk["error"])
            if not first and chunk.get("response"):
                first.append(time.monotonic() - started)
            if chunk.get("done"):
                return chunk
        raise Failed("stream ended before done")

    final = exchange(request, args.timeout, read_stream)
    with results.lock:
        results.ok += 1
        results.tokens += int(final.get("eval_count") or 0)
        results.ttft.append(first[0] if first else time.monotonic() - started)
        results.latency.append(time.monotonic() - started)


def ask_backend(args, prompt: str, results: Results) -> None:
    request = urllib.request.Request(args.url.rstrip("/") + args.path, data=json.dumps({"command": prompt}).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer " + args.token},
                                     method="POST")
    started = time.monotonic()
    answer = exchange(request, args.timeout, lambda response: json.loads(response.read() or b"{}"))
    source = str(answer.get("source") or "none")
    with results.lock:
        results.by_source[source] = results.by_source.get(source, 0) + 1
    if source != "ollama":
        raise Failed(f"answered by {source}")
    with results.lock:
        results.ok += 1
        results.latency.append(time.monotonic() - started)


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(args) -> dict:
    results = Results()
    stop = threading.Event()
    ask = ask_ollama if args.target == "ollama" else ask_backend

    def client(index: int) -> None:
        n = 0
        while not stop.is_set():
            try:
                ask(args, PROMPTS[(index + n) % len(PROMPTS)], results)
            except Failed as exc:
                results.fail(str(exc))
            n += 1

    previous = {signum: signal.signal(signum, lambda *_: stop.set()) for signum in (signal.SIGINT, signal.SIGTERM)}
    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    stop.wait(args.seconds)
    stop.set()
    for thread in threads:  # each finishes its request in flight, bounded by its timeout
        thread.join(args.timeout + 5)
    wall = time.monotonic() - started
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    summary = {
        "target": args.target, "url": args.url, "clients": args.clients, "seconds": round(wall, 1),
        "requests": results.ok + sum(results.failures.values()), "failed": sum(results.failures.values()),
        "failures": results.failures,
    }
    if args.target == "ollama":
        summary.update({
            "tokens": results.tokens,
            "tokens_per_second": round(results.tokens / wall, 2) if wall else 0.0,
            "ttft_p50": percentile(results.ttft, 0.5), "ttft_p95": percentile(results.ttft, 0.95),
        })
    else:
        summary["answered_by"] = results.by_source
    summary.update({"latency_p50": percentile(results.latency, 0.5), "latency_p95": percentile(results.latency, 0.95),
                    "latency_mean": round(statistics.fmean(results.latency), 2) if results.latency else None})
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=["ollama", "backend"])
    parser.add_argument("--url", required=True, help="the load balancer or a brain (ollama), the backend (backend)")
    parser.add_argument("--model", default="gemma3:4b")
    parser.add_argument("--path", default="/api/ai/v3/command", help="the backend's AI command path")
    parser.add_argument("--token-file", type=Path, help="file holding the backend user's bearer token (backend)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--timeout", type=float, default=60, help="seconds one request may take")
    parser.add_argument("--json", action="store_true", help="print only the summary as one JSON line")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 0 < args.seconds <= 3600 or not 0 < args.timeout <= 600:
        parser.error("--clients 1..64, --seconds 0..3600 and --timeout 0..600 keep the load bounded")
    if args.target == "backend":
        if not args.token_file:
            parser.error("backend needs --token-file")
        args.token = args.token_file.read_text().strip()
    summary = run(args)
    if args.json:
        print(json.dumps(summary))
        return 0
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    print(f"{summary['target']} {summary['url']}: {summary['clients']} clients for {summary['seconds']} s")
    print(f"  requests {summary['requests']}, failed {summary['failed']} {summary['failures'] or ''}")
    if args.target == "ollama":
        print(f"  tokens {summary['tokens']}, aggregate {summary['tokens_per_second']} tokens/s")
        print(f"  time to first token p50 {fmt(summary['ttft_p50'])} s, p95 {fmt(summary['ttft_p95'])} s")
    else:
        print(f"  answered by {summary['answered_by']}")
    print(f"  whole request p50 {fmt(summary['latency_p50'])} s, p95 {fmt(summary['latency_p95'])} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
