"""`no_log` hides secrets also when a task fails: the roles' pattern leaks nothing, and no role uses the one that does."""

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
SECRET = "n0-log-Secret-7f3a9c"


def tasks_in(node):
    """Every task mapping in a task, handler or playbook file, blocks included."""
    if isinstance(node, list):
        for item in node:
            yield from tasks_in(item)
    elif isinstance(node, dict):
        if "hosts" not in node:
            yield node
        for key in ("block", "rescue", "always", "tasks", "pre_tasks", "post_tasks", "handlers"):
            yield from tasks_in(node.get(key))


def test_no_role_or_playbook_ignores_errors_of_a_no_log_task():
    files = [*ROOT.glob("roles/*/tasks/*.yml"), *ROOT.glob("roles/*/handlers/*.yml"), *ROOT.glob("playbooks/*.yml"),
             ROOT / "site.yml"]
    offenders = [f"{path.relative_to(ROOT)}: {task.get('name')}"
                 for path in files for task in tasks_in(yaml.safe_load(path.read_text()))
                 if task.get("no_log") and task.get("ignore_errors")]
    assert len(files) > 20
    assert offenders == [], "ansible-core prints an ignored failure's module message despite no_log; use failed_when: false"


def test_a_failing_no_log_task_leaks_nothing_even_at_vvv():
    env = {**os.environ, "NO_LOG_SECRET": SECRET, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}
    result = subprocess.run(
        [Path(sys.executable).with_name("ansible-playbook"), "-vvv", "--diff", "-i", "localhost,", "-c", "local",
         "-e", f"ansible_python_interpreter={sys.executable}", str(ROOT / "tests/unit/playbooks/no_log_failures.yml")],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 2, output[-2000:]  # the refusal ran: the module did fail
    assert "The secret file is missing" in output
    assert "the output has been hidden" in output
    assert SECRET not in output
