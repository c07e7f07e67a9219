#!/usr/bin/env python3
"""How long ollama_model_wait takes to return after a model appears in /api/tags.

    .venv/bin/python bench/wait_latency.py [ROUNDS]

Starts the Ollama double on loopback, runs the module with its defaults (as
the role uses it: polls 0.25 s apart, growing to 0.5 s) while a pull finishes
after a random delay, and prints the lag between the model appearing and the
module returning, and how many polls it made.
"""

# ruff: isort: skip_file
# conftest must come first: it makes our module_utils and library importable.
from __future__ import annotations

import contextlib
import io
import json
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "unit"), str(ROOT / "tests" / "lib")]

from conftest import DoubleServer  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402

import ollama_model_wait  # noqa: E402


def run_wait(url: str) -> dict:
    out = io.StringIO()
    args = {"url": url, "models": ["gemma3:1b"], "timeout": 60}
    with patch_module_args(args), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        ollama_model_wait.main()
    return json.loads(out.getvalue())


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    lags, polls = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(rounds):
            base = Path(tmp) / f"r{n}"
            (base / "models").mkdir(parents=True)
            (base / "cache").mkdir()
            server = DoubleServer(models_dir=base / "models", cache_dir=base / "cache").start()
            try:
                appeared = {}

                def pull(server=server, appeared=appeared):
                    time.sleep(random.uniform(0.5, 5))  # noqa: S311 - jitter, not crypto
                    server.pull("gemma3:1b")
                    appeared["t"] = time.monotonic()

                thread = threading.Thread(target=pull)
                thread.start()
                result = run_wait(server.url)
                returned = time.monotonic()
                thread.join(60)
                assert not result.get("failed"), result
                lags.append(returned - appeared["t"])
                polls.append(result["attempts"] / max(result["elapsed"], 0.001))
            finally:
                server.stop()
    print(f"ollama_model_wait return lag after the model appears, {rounds} rounds: "
          f"median {statistics.median(lags):.2f} s, max {max(lags):.2f} s, min {min(lags):.2f} s; "
          f"polls per second: median {statistics.median(polls):.1f}, max {max(polls):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
