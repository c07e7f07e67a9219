"""Yes/no inputs are read once, as booleans: `-e name=false` gives the string "false", which a bare `when:` takes as true.

Each role turns every bool of its argument_specs into `_<name>: "{{ <name> | bool }}"` in vars/main.yml; conditions,
templates and other variables read only that copy. ansible-playbook evaluates the copies here with -e strings, and
a static pass finds any Jinja expression or condition that still reads a raw bool.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLES = sorted(p for p in (ROOT / "roles").iterdir() if (p / "meta/argument_specs.yml").is_file())
CONDITION_KEYS = {"when", "that", "failed_when", "changed_when", "until"}
JINJA = re.compile(r"{{.*?}}|{%.*?%}", re.S)


def bool_options(role: Path) -> set[str]:
    specs = yaml.safe_load((role / "meta/argument_specs.yml").read_text())["argument_specs"]
    return {name for entry in specs.values() for name, option in (entry.get("options") or {}).items()
            if option.get("type") == "bool"}


def role_vars(role: Path) -> dict:
    path = role / "vars/main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def expressions(node, key=None):
    """Every Jinja block, and every bare condition, in a loaded YAML tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from expressions(v, k)
    elif isinstance(node, list):
        for item in node:
            yield from expressions(item, key)
    elif isinstance(node, str):
        yield from JINJA.findall(node)
        if key in CONDITION_KEYS:
            yield node


def raw_reads(role: Path, names: set[str]) -> list[str]:
    found = []
    pattern = re.compile(r"(?<![\w])(" + "|".join(sorted(names)) + r")\b") if names else None
    if pattern is None:
        return found
    for path in sorted([*role.glob("tasks/*.yml"), *role.glob("handlers/*.yml"), role / "vars/main.yml"]):
        if not path.is_file():
            continue
        for key, value in (yaml.safe_load(path.read_text()) or {}).items() if path.name == "main.yml" and \
                path.parent.name == "vars" else [(None, yaml.safe_load(path.read_text()))]:
            for expression in expressions(value):
                for name in pattern.findall(expression):
                    # The one place the raw value is read: its own normalised copy.
                    if key != f"_{name}":
                        found.append(f"{path.relative_to(ROOT)}: {name} in {expression.strip()[:80]!r}")
    for path in sorted(role.glob("templates/*.j2")):
        for expression in JINJA.findall(path.read_text()):
            found.extend(f"{path.relative_to(ROOT)}: {name}" for name in pattern.findall(expression))
    return found


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_bool_has_one_normalised_copy_and_nothing_reads_the_raw_value(role):
    names = bool_options(role)
    copies = role_vars(role)
    missing = [n for n in sorted(names) if copies.get(f"_{n}") != f"{{{{ {n} | bool }}}}"]
    assert missing == [], f"no `_<name>: \"{{{{ <name> | bool }}}}\"` in {role.name}/vars/main.yml for {missing}"
    assert raw_reads(role, names) == []


def test_the_copies_read_command_line_strings_as_ansible_booleans(tmp_path):
    cases = []  # (copy, input, string as -e gives it, expected)
    for role in ROLES:
        for name in sorted(bool_options(role)):
            cases += [(f"_{name}", name, "false", False), (f"_{name}", name, "True", True), (f"_{name}", name, "no", False)]
    tasks = []
    for copy, name, value, expected in cases:
        tasks.append(f"""
    - name: {copy} from {value}
      ansible.builtin.assert:
        that: {'' if expected else 'not '}{copy}
        quiet: true
      vars:
        {name}: "{value}"
""")
    vars_files = "".join(f"\n    - {role}/vars/main.yml" for role in ROLES if (role / "vars/main.yml").is_file())
    playbook = tmp_path / "bools.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  vars_files:{vars_files}
  tasks:{''.join(tasks)}
""")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run([Path(sys.executable).with_name("ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"ok={len(cases)}" in result.stdout
