"""`make demo` end to end: the lab found by the Docker inventory, converged by the
same site.yml as on AWS, verified, re-run with nothing changed, drilled, and removed.

Tests run in file order on one lab (converging it is the slow part).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
DEMO = PROJECT / "tests" / "lab" / "demo.sh"
REPORT = PROJECT / "reports" / "verify-demo-body.json"
INVENTORY = PROJECT / "tests" / "lab" / "inventory"


def run(*cmd: str | Path, timeout: int = 1500) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=PROJECT, capture_output=True, text=True, timeout=timeout,
                          check=False, env=_env())


_LAB_ENV: dict[str, str] = {}


def _env() -> dict:
    """This process's environment plus the lab's (LAB_*, which the lab inventory reads)."""
    if not _LAB_ENV:
        out = subprocess.run([str(PROJECT / "tests" / "lib" / "lab-services.sh"), "up"], cwd=PROJECT,
                             capture_output=True, text=True, timeout=900, check=True).stdout
        _LAB_ENV.update(re.findall(r"^export (\w+)=(.*)$", out, re.MULTILINE))
    return dict(os.environ, **_LAB_ENV, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))


def recap(output: str) -> dict[str, dict[str, int]]:
    hosts = {}
    for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", output, re.MULTILINE):
        hosts[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counters)}
    return hosts


def sh(container: str, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return run("docker", "exec", container, "bash", "-c", command, timeout=timeout)


def backend_ask(token: str) -> dict:
    """The AI request as a user sends it, from the body to the backend."""
    body = json.dumps({"command": "Say hello in five words."})
    result = sh("demo-body", f"curl -fsS --max-time 60 -H 'Authorization: Bearer {token}' "
                             f"-H 'Content-Type: application/json' -d '{body}' http://127.0.0.1:8000/api/ai/v3/command")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def brain_json(path: str, body: dict | None = None) -> dict:
    """A request straight to the brain, from the body (the only host allowed)."""
    address = run("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                  "demo-brain").stdout.strip()
    data = f"-d '{json.dumps(body)}'" if body is not None else ""
    result = sh("demo-body", f"curl -fsS --max-time 60 {data} http://{address}:11434{path}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def demo():
    """The first `make demo` run; the lab is removed after the module, whatever happened."""
    try:
        yield run(DEMO, "up")
    finally:
        down = run(DEMO, "down", timeout=300)
        assert down.returncode == 0, down.stderr


@pytest.fixture(scope="module")
def token(demo) -> str:
    return (Path(_env()["LAB_SECRETS_DIR"]) / "api-token").read_text().strip()


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


def test_inventory_gives_the_ec2_groups_and_hostvars(demo):
    result = run(PROJECT / ".venv" / "bin" / "ansible-inventory", "-i", INVENTORY, "--list")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    assert inventory["brain"]["hosts"] == ["demo-brain"]
    assert inventory["body"]["hosts"] == ["demo-body"]
    hostvars = inventory["_meta"]["hostvars"]
    brain_ip = run("docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
                   "demo-brain").stdout.strip()
    # ansible-inventory marks values from the Docker API as unsafe (never templated).
    assert hostvars["demo-brain"]["private_ip_address"] in (brain_ip, {"__ansible_unsafe": brain_ip})


def test_second_demo_changes_nothing(demo):
    again = run(DEMO, "up")
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-4000:]
    hosts = recap(output)
    changed = {host: counters["changed"] for host, counters in hosts.items() if counters["changed"]}
    assert not changed, f"a second make demo changed something: {changed}\n{output[-4000:]}"


def test_backend_is_warm_after_the_brain_service_restarts(demo, token):
    """Reboot-like drill without Ansible: restart ollama, the warm-up unit reloads the model on its own."""
    assert sh("demo-brain", "systemctl restart ollama.service").returncode == 0
    # The warm-up unit is part of ollama.service and restarts with it; wait (bounded) until it has run.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = {line.partition("=")[0]: line.partition("=")[2] for line in
                 sh("demo-brain", "systemctl show -p ActiveState -p Result ollama-warmup.service").stdout.split()}
        loaded = brain_json("/api/ps")["models"] if sh("demo-brain", "systemctl is-active -q ollama").returncode == 0 else []
        if state == {"ActiveState": "inactive", "Result": "success"} and loaded:
            break
        time.sleep(1)
    else:
        pytest.fail(f"the warm-up did not load the model within 120 s (unit state {state})")
    answer = backend_ask(token)
    assert answer["source"] == "ollama", answer
    # The backend's request (no keep_alive) left the model loaded, kept forever by the server default.
    loaded = brain_json("/api/ps")["models"]
    assert [m["name"] for m in loaded] == ["gemma3:4b"]
    assert loaded[0]["expires_at"].startswith("2318"), loaded[0]["expires_at"]
    # The next request pays no load: no cold start after the restart.
    chat = brain_json("/api/chat", {"model": "gemma3:4b", "stream": False,
                                    "messages": [{"role": "user", "content": "hi"}]})
    assert chat["load_duration"] < 5_000_000, chat["load_duration"]


def test_failover_drill_passes_and_restores(demo):
    result = run(PROJECT / ".venv" / "bin" / "ansible-playbook", "-i", INVENTORY,
                 PROJECT / "playbooks" / "failover_drill.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "While the brain is down: answered by gemini" in output
    assert "After the restore: answered by ollama" in output
    assert sh("demo-brain", "systemctl is-active -q ollama").returncode == 0
