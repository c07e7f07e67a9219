#!/usr/bin/env python3
"""Every key in a role's defaults/main.yml is described in meta/argument_specs.yml, and back.

    check_argument_specs.py roles/<role>/ [...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def check(role: Path) -> list[str]:
    defaults_file = role / "defaults" / "main.yml"
    specs_file = role / "meta" / "argument_specs.yml"
    if not specs_file.is_file():
        return [f"{role.name}: meta/argument_specs.yml is missing"]
    defaults = yaml.safe_load(defaults_file.read_text()) if defaults_file.is_file() else {}
    specs = yaml.safe_load(specs_file.read_text())["argument_specs"]
    described: set[str] = set()
    problems = []
    for entry, spec in specs.items():
        options = spec.get("options") or {}
        described |= set(options)
        problems += [f"{role.name}: option {name} of entry point {entry} has no description"
                     for name, opt in options.items() if not opt.get("description")]
        problems += [f"{role.name}: option {name} is not prefixed with {role.name}_"
                     for name in options if not name.startswith(f"{role.name}_")]
    problems += [f"{role.name}: {key} is in defaults/main.yml but not in meta/argument_specs.yml"
                 for key in sorted(set(defaults or {}) - described)]
    problems += [f"{role.name}: {key} is in meta/argument_specs.yml but has no default in defaults/main.yml"
                 for key in sorted(described - set(defaults or {}))
                 if not any((spec.get("options") or {}).get(key, {}).get("required") for spec in specs.values())]
    return problems


def main(paths: list[str]) -> int:
    roles = [Path(p) for p in paths if Path(p).is_dir()]
    problems = [p for role in roles for p in check(role)]
    for problem in problems:
        print(problem)
    print(f"checked {len(roles)} role(s): {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
