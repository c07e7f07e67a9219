#!/usr/bin/env python3
"""Print every public variable of every role with what guards it: its argument_specs type and its preflight check.

    tests/lib/input_guards.py [--check]

With --check, exit 1 when a public variable that a user could get wrong has
no guard beyond its type (booleans, choices and free-form dicts need none).
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
OTHER_GUARDS = {  # checked by a dedicated preflight task, besides or instead of the input-check list
    "ollama_brain_version": "release number, advisory floor, release published (preflight)",
    "ollama_brain_listen_address": "0.0.0.0/:: only with ollama_brain_allow_public_bind, which warns (preflight)",
    "ollama_brain_models": "known to the registry, fits in RAM (warm ones) and on disk (preflight)",
    "ollama_brain_environment": "the drop-in passes systemd-analyze verify; Ollama must start with it or is rolled back",
    "ollama_brain_port": "Ollama must start on it within ollama_brain_start_timeout or is rolled back",
    "talent_api_image": "pullable with the registry login before the container is touched",
    "talent_api_ai_model_name": "served by the brain, asked from the body (preflight)",
    "talent_api_ai_base_url": "the brain answers there from the body (preflight)",
    "aws_stack_brain_instance_type": "instance type with a known price (preflight)",
    "aws_stack_brain_volume_size": "room for OS + release + aws_stack_brain_models (preflight)",
    "aws_stack_ollama_extra_cidrs": "not more addresses than the body's VPC holds (preflight, after reading the VPC)",
    "stack_verify_failover_confirm": "must be true to drill (failover preflight)",
}
UNGUARDED_OK = {"bool", "dict"}


def describe(check: dict) -> str:
    kind = check["kind"]
    bounds = ", ".join(f"{k} {check[k]}" for k in ("min", "above", "max", "warn_above") if k in check)
    # Choices are a list, or a template such as "{{ groups['all'] }}" that only the play resolves.
    choices = check.get("choices")
    extra = {"one_of": lambda: "one of " + (choices if isinstance(choices, str) else ", ".join(map(str, choices))),
             "pattern": lambda: check["what"]}.get(kind, lambda: "")()
    return " ".join(part for part in (kind, f"({bounds})" if bounds else "", extra) if part)


def rows():
    for role in sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file()):
        specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
        checks = {}
        vars_file = role / "vars/main.yml"
        if vars_file.is_file():
            for key, value in (yaml.safe_load(vars_file.read_text()) or {}).items():
                if key.endswith("_input_checks"):
                    for c in value:  # a variable may have several checks (its own, then one against others)
                        checks[c["var"]] = "; ".join(filter(None, (checks.get(c["var"]), describe(c))))
        seen = set()
        for entry in specs.values():
            for name, option in (entry.get("options") or {}).items():
                if name in seen:
                    continue
                seen.add(name)
                typ = option.get("type", "str") + (f"[{option['elements']}]" if option.get("elements") else "")
                if option.get("choices"):
                    typ += " choices " + "/".join(map(str, option["choices"]))
                guard = "; ".join(g for g in (checks.get(name), OTHER_GUARDS.get(name)) if g)
                yield role.name, name, typ, guard, bool(option.get("choices"))


def main(argv: list[str]) -> int:
    missing = []
    print("| Role | Variable | argument_specs | Preflight check |\n| --- | --- | --- | --- |")
    for role, name, typ, guard, has_choices in rows():
        print(f"| {role} | `{name}` | {typ} | {guard or '—'} |")
        if not guard and not has_choices and typ.split("[")[0].split(" ")[0] not in UNGUARDED_OK:
            missing.append(name)
    if "--check" in argv and missing:
        print("\nno guard beyond the type: " + ", ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
