"""`make demo` end to end: the lab found by the Docker inventory, converged by the
same site.yml as on AWS, verified, re-run with nothing changed, drilled, and removed.

Tests run in file order on one lab (converging it is the slow part).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lab_rig import PROJECT, VENV_BIN, address, assert_warm_through_backend, lab_env, recap, run, sh, wait_warm

DEMO = PROJECT / "tests" / "lab" / "demo.sh"
REPORT = PROJECT / "reports" / "verify-demo-body.json"
INVENTORY = PROJECT / "tests" / "lab" / "inventory"


@pytest.fixture(scope="module")
def demo():
    """The first `make demo` run; the lab is removed after the module, whatever happened."""
    lab_env(refresh=True)
    try:
        yield run(DEMO, "up")
    finally:
        down = run(DEMO, "down", timeout=300)
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="module")
def token(demo) -> str:
    return (Path(lab_env()["LAB_SECRETS_DIR"]) / "api-token").read_text().strip()


@pytest.fixture(scope="module")
def brain_address(demo) -> str:
    return address("demo-brain", lab_env()["LAB_NETWORK"])


def test_first_demo_converges_and_verifies_green(demo):
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-4000:]
    hosts = recap(output)
    assert {"demo-brain", "demo-body"} <= set(hosts), hosts
    assert all(counters["failed"] == 0 and counters["unreachable"] == 0 for counters in hosts.values())
    checks = json.loads(REPORT.read_text())["checks"]
    assert checks and all(check["ok"] for check in checks), checks
    names = " ".join(check["name"] for check in checks)
    assert "AI endpoint answered by ollama" in names
    assert "demo-outsider" in names, "verify must try the brain from the outsider"
    assert "The lab is converged and verified" in output


def test_inventory_gives_the_ec2_groups_and_hostvars(demo, brain_address):
    result = run(VENV_BIN / "ansible-inventory", "-i", INVENTORY, "--list")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    assert inventory["brain"]["hosts"] == ["demo-brain"]
    assert inventory["body"]["hosts"] == ["demo-body"]
    hostvars = inventory["_meta"]["hostvars"]
    # ansible-inventory marks values from the Docker API as unsafe (never templated).
    assert hostvars["demo-brain"]["private_ip_address"] in (brain_address, {"__ansible_unsafe": brain_address})


def test_second_demo_changes_nothing(demo):
    again = run(DEMO, "up")
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-4000:]
    hosts = recap(output)
    changed = {host: counters["changed"] for host, counters in hosts.items() if counters["changed"]}
    assert not changed, f"a second make demo changed something: {changed}\n{output[-4000:]}"


def test_one_phase_reruns_alone(demo):
    """A phase tag runs that phase (and its preflight) alone, facts included, changing nothing."""
    result = run(DEMO, "play", "playbooks/brain.yml", "--tags", "ollama_brain-warmup")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Load the warm models now, as the backend will use them" in output
    assert "Install the packages the release and the service need" not in output
    hosts = recap(output)
    assert set(hosts) == {"demo-brain"}, hosts
    assert hosts["demo-brain"]["changed"] == 0, output[-4000:]


def test_backend_is_warm_after_the_brain_service_restarts(demo, token, brain_address):
    """Restart drill without Ansible: restart ollama, the warm-up unit reloads the model on its own."""
    assert sh("demo-brain", "systemctl restart ollama.service").returncode == 0
    # The warm-up unit is part of ollama.service and restarts with it.
    wait_warm("demo-brain", "demo-body", brain_address)
    assert_warm_through_backend("demo-brain", "demo-body", brain_address, token, "gemma3:4b")


def test_failover_drill_passes_and_restores(demo):
    result = run(VENV_BIN / "ansible-playbook", "-i", INVENTORY, PROJECT / "playbooks" / "failover_drill.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "While the brain is down: answered by gemini" in output
    assert "After the restore: answered by ollama" in output
    assert sh("demo-brain", "systemctl is-active -q ollama").returncode == 0
