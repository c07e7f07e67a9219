#!/usr/bin/env python3
"""Print every public variable of every role with what guards it, read from the rules themselves.

    tests/lib/input_guards.py [--check]

A variable's guards are its argument_specs type, its entries in the role's
input-check list (vars/main.yml, `_<role>_input_checks`, which
filter_plugins/ai_stack.py applies in preflight), and each refusal task
(ansible.builtin.assert, or ansible.builtin.fail with a `when:`) whose
condition depends on it. The condition is followed through the role's own
variables (vars/main.yml, set_fact, registered results and the task's vars),
so `_talent_api_model_ref in ...` is found to read talent_api_ai_model_name.
Nothing here is written by hand beside the rules.

With --check, exit 1 when a public variable that a user could get wrong has
no guard beyond its type (booleans, choices and free-form dicts need none).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
UNGUARDED_OK = {"bool", "dict"}
_NAME = re.compile(r"\b_*[a-z][a-z0-9_]*\b")
# How far one condition is followed through internal variables (the roles' chains are 3 or 4 deep).
_DEPTH = 6


def describe(check: dict) -> str:
    kind = check["kind"]
    bounds = ", ".join(f"{k} {check[k]}" for k in ("min", "above", "max", "warn_above") if k in check)
    # Choices are a list, or a template such as "{{ groups['all'] }}" that only the play resolves.
    choices = check.get("choices")
    extra = {"one_of": lambda: "one of " + (choices if isinstance(choices, str) else ", ".join(map(str, choices))),
             "pattern": lambda: check["what"]}.get(kind, lambda: "")()
    return " ".join(part for part in (kind, f"({bounds})" if bounds else "", extra) if part)


def walk(tasks) -> Iterator[dict]:
    for task in tasks or []:
        if isinstance(task, dict):
            yield task
            for key in ("block", "rescue", "always"):
                yield from walk(task.get(key))


def role_tasks(role: Path) -> list[dict]:
    return [task for path in sorted((role / "tasks").glob("*.yml")) for task in walk(yaml.safe_load(path.read_text()))]


def definitions(role_vars: dict, tasks: list[dict]) -> dict[str, str]:
    """Each internal variable of the role with the text that makes it: vars, facts set, results registered."""
    found = {k: json.dumps(v) for k, v in role_vars.items()}
    for task in tasks:
        for key, value in (task.get("ansible.builtin.set_fact") or {}).items():
            found[key] = found.get(key, "") + json.dumps(value)
        # A result depends on what the task was given and on the loop it ran over. host_state's answers for
        # everything the role manages at once: following it would name every variable for any one of its fields.
        if task.get("register") and "host_state" not in task:
            body = {k: v for k, v in task.items() if k not in ("name", "register", "when", "tags")}
            found[task["register"]] = found.get(task["register"], "") + json.dumps(body)
    return found


def depends_on(text: str, defined: dict[str, str], public: set[str]) -> set[str]:
    """The public variables an expression reads, directly or through the role's internal variables."""
    seen: set[str] = set()
    frontier = set(_NAME.findall(text))
    for _ in range(_DEPTH):
        frontier -= seen
        seen |= frontier
        frontier = {n for name in frontier if name in defined for n in _NAME.findall(defined[name])}
    return seen & public


def refusals(role: Path, role_vars: dict, public: set[str]) -> dict[str, list[str]]:
    """Public variable -> the names of the refusal tasks whose condition reads it."""
    tasks = role_tasks(role)
    defined = definitions(role_vars, tasks)
    guards: dict[str, list[str]] = {}
    for task in tasks:
        if "ansible.builtin.assert" in task:
            condition = (task["ansible.builtin.assert"] or {}).get("that")
        elif "ansible.builtin.fail" in task:
            condition = task.get("when")
        else:
            continue
        text = json.dumps(condition) + json.dumps(task.get("loop"))  # `item` is what the task loops over
        if not condition:
            continue
        # The input-check list is read entry by entry (rows()), not followed: a refusal that joins its problems
        # with others would otherwise name every variable the list checks.
        local = {k: v for k, v in {**defined, **{k: json.dumps(v) for k, v in (task.get("vars") or {}).items()}}.items()
                 if not k.endswith("_input_checks")}
        for name in sorted(depends_on(text, local, public)):
            guards.setdefault(name, []).append(task["name"][0].lower() + task["name"][1:])
    return guards


def rows():
    roles = sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file())
    specs = {role: yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"] for role in roles}
    public = {name for entries in specs.values() for entry in entries.values() for name in entry.get("options") or {}}
    for role in roles:
        vars_file = role / "vars/main.yml"
        role_vars = (yaml.safe_load(vars_file.read_text()) or {}) if vars_file.is_file() else {}
        checks: dict[str, list[str]] = {}
        for key, value in role_vars.items():
            if key.endswith("_input_checks"):
                for c in value:  # a variable may have several checks (its own, then one against others)
                    checks.setdefault(c["var"], []).append(describe(c))
        guarded_by = refusals(role, role_vars, public)
        seen = set()
        for entry in specs[role].values():
            for name, option in (entry.get("options") or {}).items():
                if name in seen:
                    continue
                seen.add(name)
                typ = option.get("type", "str") + (f"[{option['elements']}]" if option.get("elements") else "")
                if option.get("choices"):
                    typ += " choices " + "/".join(map(str, option["choices"]))
                guard = "; ".join(checks.get(name, []) + guarded_by.get(name, []))
                yield role.name, name, typ, guard, bool(option.get("choices"))


def main(argv: list[str]) -> int:
    missing = []
    print("| Role | Variable | argument_specs | Checked by |\n| --- | --- | --- | --- |")
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
