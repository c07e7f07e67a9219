"""Every check of tests/run_checks.sh can turn red.

Each case clones the project into a throw-away folder, plants one known defect
there and runs only the check it targets (`CHECKS=<name> tests/run_checks.sh`),
which must then print `FAIL  <name>` and exit non-zero. A check no case can make
red is itself a failure (test_every_check_has_a_planted_defect).

Checks that read the project (lint, docs, syntax, specs, unit tests) get a real
defect in the files they read. Checks that drive a lab or moto for many minutes
(molecule, e2e, aws, ansible-current) get a runner that fails at one step of
their chain instead (a stand-in `molecule`/`pytest` in the clone's venv): that
proves the one thing run_checks.sh adds to the runner, that a failure at any
step of the chain, the last one included, makes the check red. The runners'
own assertions are what those checks' tests hold.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT / ".venv" / "bin"


def checks_in_run_checks() -> set[str]:
    """Every check name tests/run_checks.sh runs (check/check_beside/lane_beside NAME, molecule-<scenario>)."""
    text = (PROJECT / "tests" / "run_checks.sh").read_text()
    # gates is this file: it is red whenever one of its cases is.
    names = set(re.findall(r"^\s*(?:check|check_beside|lane_beside) ([a-z0-9-]+) ", text, re.MULTILINE)) - {"gates"}
    scenarios = {p.parent.name for p in (PROJECT / "molecule").glob("*/molecule.yml")} - {"default"}
    return names | {f"molecule-{s}" for s in scenarios}


def clone(tmp_path: Path) -> Path:
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(target)], check=True)
    # Uncommitted work is what is being tested: the clone gets the working tree as it is.
    for path in subprocess.run(["git", "ls-files", "-m", "-o", "--exclude-standard"], cwd=PROJECT, check=True,
                               capture_output=True, text=True).stdout.split():
        source = PROJECT / path
        if source.is_file():
            (target / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / path)
    for path in subprocess.run(["git", "ls-files", "-d"], cwd=PROJECT, check=True,
                               capture_output=True, text=True).stdout.split():
        (target / path).unlink(missing_ok=True)
    return target


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is no longer in {path}: update the planted defect"
    path.write_text(text.replace(old, new, 1))


def stand_in_venv(root: Path, failing: dict[str, str]) -> None:
    """A .venv whose bin/ is the real one, but for the commands named in `failing`.

    failing maps a command to the pattern at which it exits 1, a regex on
    "$MOLECULE_VERIFY_DIR|<arguments>" (so molecule's drills pass can be told
    from its first verify); any other call succeeds without doing anything, so
    the chain goes on to the step under test.
    """
    venv = root / ".venv" / "bin"
    venv.mkdir(parents=True)
    for real in VENV_BIN.iterdir():
        if real.name not in failing:
            (venv / real.name).symlink_to(real)
    for command, pattern in failing.items():
        stub = venv / command
        stub.write_text("#!/usr/bin/env bash\n"
                        f"# Planted by tests/gates: exits 1 when its call matches {pattern!r}.\n"
                        f"pattern='{pattern}'\n"
                        'if [[ "${MOLECULE_VERIFY_DIR:-}|$*" =~ $pattern ]]; then\n'
                        f"  echo 'planted failure: {command} '\"$*\"; exit 1\nfi\n"
                        "exit 0\n")
        stub.chmod(0o755)
    (root / ".venv" / ".installed").touch()


def no_lab(root: Path) -> None:
    """The lab services and image builds as no-ops, committed so a nested clone (molecule-default)
    has them too: a planted run must never start, build or take down what the real checks use."""
    for script in (root / "tests" / "lib" / "lab-services.sh", root / "tests" / "images" / "build.sh"):
        script.write_text("#!/usr/bin/env bash\n# Planted by tests/gates: no lab in a gate clone.\nexit 0\n")
    subprocess.run(["git", "-c", "user.name=gates", "-c", "user.email=gates@localhost", "commit", "-qam",
                    "gate: no lab"], cwd=root, check=True)


def current_venv(root: Path, failing: str) -> None:
    """ansible-current's venv, with `failing` (pytest, ansible-doc or ansible-playbook) exiting 1.

    `command:words` fails only when its arguments hold `words` (one of the check's several pytest runs).
    """
    venv = root / ".cache" / "venv-current"
    (venv / "bin").mkdir(parents=True)
    failing, _, words = failing.partition(":")
    for command in ("ansible", "python", "pytest", "ansible-doc", "ansible-playbook"):
        stub = venv / "bin" / command
        fail = f"echo 'planted failure: {command}'; exit 1\n"
        if words:
            fail = f'case " $* " in *{words}*) {fail.strip()};; esac\nexit 0\n'
        stub.write_text("#!/usr/bin/env bash\n" + (fail if command == failing else "exit 0\n"))
        stub.chmod(0o755)
    (venv / ".installed").touch()


# check name -> planted defects, each (what it is, how to plant it in a clone).
Plant = Callable[[Path], None]
DEFECTS: dict[str, list[tuple[str, Plant]]] = {
    "yamllint": [("trailing spaces in a role's defaults",
                  lambda r: append(r / "roles/brain_lb/defaults/main.yml", "brain_lb_health_timeout_planted: 1   \n"))],
    "ansible-lint": [("a task with a short module name",
                      lambda r: append(r / "roles/brain_lb/tasks/status.yml",
                                       "\n- name: Planted\n  debug:\n    msg: planted\n"))],
    "ruff": [("an unused import in a module", lambda r: replace(r / "filter_plugins/ai_stack.py",
                                                                "import ipaddress\n", "import ipaddress\nimport os\n"))],
    "ansible-doc": [("a module whose DOCUMENTATION is not YAML",
                     lambda r: replace(r / "library/http_probe.py", "DOCUMENTATION = r\"\"\"\n",
                                       "DOCUMENTATION = r\"\"\"\n: [planted\n"))],
    "syntax-check": [("a playbook task naming no module",
                      lambda r: append(r / "playbooks/verify.yml",
                                       "\n- name: Planted\n  hosts: all\n  tasks:\n    - name: Planted\n"
                                       "      no_such_module_planted: {}\n"))],
    "argument-specs": [
        ("a role default that argument_specs does not describe",
         lambda r: append(r / "roles/brain_lb/defaults/main.yml", "brain_lb_planted: 1\n")),
        ("a public variable with no guard beyond its type",
         lambda r: (append(r / "roles/cloudwatch_agent/defaults/main.yml", "cloudwatch_agent_planted: x\n"),
                    replace(r / "roles/cloudwatch_agent/meta/argument_specs.yml", "    options:\n",
                            "    options:\n      cloudwatch_agent_planted:\n        description: Planted.\n"
                            "        type: str\n        default: x\n"))),
        ("a role README table out of date",
         lambda r: replace(r / "roles/cloudwatch_agent/README.md", "| Seconds between samples. |",
                           "| Planted. |")),
    ],
    "pytest": [("an input check that lets port 70000 through",
                lambda r: replace(r / "filter_plugins/ai_stack.py", "1 <= number <= 65535", "1 <= number <= 99999"))],
    "aws-moto": [("pytest on moto fails", lambda r: stand_in_venv(r, {"pytest": "tests/aws"}))],
    "ansible-current": [(f"{command} under ansible 14 fails", lambda r, c=command: current_venv(r, c))
                        for command in ("pytest", "pytest:tests/aws", "ansible-doc", "ansible-playbook")],
    "e2e-demo": [("the demo's end-to-end tests fail",
                  lambda r: (no_lab(r), stand_in_venv(r, {"pytest": "tests/e2e"})))],
    "e2e-demo-trixie": [("the Debian 13 demo fails", lambda r: (no_lab(r), stand_in_venv(r, {"pytest": "tests/e2e"})))],
    "molecule-default": [(f"molecule {step} fails", lambda r, s=step: (no_lab(r), stand_in_venv(r, {"molecule": s})))
                         for step in (r"^\|test", r"^\|verify", r"^\|destroy")],
}
# Every lab scenario: a failure at each step of molecule_scenario's chain.
for _scenario in sorted(p.parent.name for p in (PROJECT / "molecule").glob("*/molecule.yml")):
    if _scenario != "default":
        DEFECTS[f"molecule-{_scenario}"] = [
            (f"molecule {step} fails", lambda r, s=step: (no_lab(r), stand_in_venv(r, {"molecule": s})))
            for step in (r"^\|test", r"^drills\|verify" if (PROJECT / "molecule" / _scenario / "drills").is_dir()
                         else r"^\|verify", r"^\|destroy")]

CASES = [pytest.param(check, plant, id=f"{check}: {what}") for check, plants in DEFECTS.items() for what, plant in plants]


def test_every_check_has_a_planted_defect():
    assert checks_in_run_checks() - set(DEFECTS) == set()
    assert set(DEFECTS) - checks_in_run_checks() == set()


@pytest.mark.parametrize(("check", "plant"), CASES)
def test_the_check_turns_red(tmp_path, check, plant):
    root = clone(tmp_path)
    plant(root)
    if not (root / ".venv").exists():
        (root / ".venv").symlink_to(PROJECT / ".venv")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "MOLECULE_"))}
    env["PATH"] = f"{root / '.venv' / 'bin'}:{env['PATH']}"
    env["CHECKS"] = check
    # The unit suite's file that covers the planted defect, not all of it again (the check's own
    # command and exit status are unchanged; pytest reads these options from the environment).
    if check == "pytest":
        env["PYTEST_ADDOPTS"] = "-k test_input_checks"
    result = subprocess.run([str(root / "tests" / "run_checks.sh")], cwd=root, env=env, capture_output=True,
                            text=True, timeout=600, check=False)
    output = result.stdout + result.stderr
    if re.search(rf"^SKIP  {re.escape(check)}\s", output, re.MULTILINE):
        pytest.skip(f"{check} cannot run on this machine: {output.strip().splitlines()[0]}")
    assert result.returncode != 0, output[-3000:]
    assert re.search(rf"^FAIL  {re.escape(check)}\s", output, re.MULTILINE), output[-3000:]
    assert re.search(r"^0 passed, [1-9][0-9]* failed", output, re.MULTILINE), output[-3000:]
