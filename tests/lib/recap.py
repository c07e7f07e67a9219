#!/usr/bin/env python3
"""The one reader of ansible-playbook's PLAY RECAP, for tests, molecule checks and benchmarks.

    python3 tests/lib/recap.py < run.log     prints the counters summed over hosts, e.g. `ok=42 changed=0 failed=0`
"""

from __future__ import annotations

import re
import sys


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP counters per host, e.g. {'brain': {'ok': 10, 'changed': 0, 'failed': 0, ...}}."""
    hosts = {}
    for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    return hosts


def totals(output: str) -> dict[str, int]:
    summed: dict[str, int] = {}
    for counters in recap(output).values():
        for key, value in counters.items():
            summed[key] = summed.get(key, 0) + value
    return summed


if __name__ == "__main__":
    counts = totals(sys.stdin.read())
    if not counts:
        sys.exit("no PLAY RECAP in the input")
    print(" ".join(f"{key}={counts[key]}" for key in ("ok", "changed", "failed", "unreachable", "skipped")))
