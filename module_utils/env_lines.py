# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The content of a `docker run --env-file` file as env_file writes it; host_state compares with the same."""

from __future__ import annotations

import re
from typing import Dict, List, Optional

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def line_key(line: str) -> Optional[str]:
    """The key a line defines (`KEY=`, `export KEY =`), or None for comments and other lines."""
    match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=", line)
    return match.group(1) if match else None


def env_values(settings: Dict[str, object], secrets: Dict[str, object]) -> Dict[str, str]:
    """Every key to write, as text; a secret wins over a setting of the same name."""
    return {k: str(v) for k, v in {**settings, **secrets}.items()}


def bad_keys(values: Dict[str, str]) -> List[str]:
    """Keys that are not shell names, or whose values span lines: neither can be written."""
    return sorted({k for k in values if not _KEY.match(k)} | {k for k, v in values.items() if "\n" in v or "\r" in v})


def merged(lines: List[str], values: Dict[str, str]) -> List[str]:
    """The file's lines with each key's last definition replaced, and new keys appended in the order given."""
    last = {}
    for index, line in enumerate(lines):
        key = line_key(line)
        if key in values:
            last[key] = index
    out = list(lines)
    for key, index in last.items():
        out[index] = f"{key}={values[key]}"
    out += [f"{key}={value}" for key, value in values.items() if key not in last]
    return out


def wanted_lines(old_lines: List[str], values: Dict[str, str], mode: str, header: List[str]) -> List[str]:
    """merge keeps the other lines and their order; replace writes the header and the keys, sorted, only."""
    if mode == "merge":
        return merged(old_lines, values)
    return [f"# {line}" for line in header] + [f"{key}={values[key]}" for key in sorted(values)]


def text(lines: List[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""
