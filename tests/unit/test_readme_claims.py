"""README.md's table "What holds each promise" names only tests that exist.

A promise whose test was renamed or deleted would otherwise keep pointing at
nothing; this fails instead, naming the missing test.
"""

from __future__ import annotations

import re
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
README = PROJECT / "README.md"


def promise_rows() -> list[tuple[str, list[str]]]:
    text = README.read_text()
    section = text[text.index("### What holds each promise"):text.index("## The two commands")]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("promise", "---"):
            rows.append((cells[0], re.findall(r"`([\w/.-]+\.py)::(\w+)`", cells[1])))
    return rows


def test_the_table_has_promises():
    assert len(promise_rows()) >= 20


def test_every_promise_names_at_least_one_test():
    assert [promise for promise, tests in promise_rows() if not tests] == []


def test_every_named_test_exists():
    missing = []
    for _, tests in promise_rows():
        for path, name in tests:
            source = PROJECT / path
            if not source.is_file() or not re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE):
                missing.append(f"{path}::{name}")
    assert missing == []
