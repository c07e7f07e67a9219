"""Helpers the end-to-end tests share: the lab's environment, commands, play recaps."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

from recap import recap  # noqa: F401 - the e2e tests import it from here

PROJECT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT / ".venv" / "bin"
DEMO = PROJECT / "tests" / "lab" / "demo.sh"
# The demo this run drives (tests/lab/demo.sh): its hosts are DEMO-brain, DEMO-body... Another
# demo, with another LAB_DEMO, may run beside it (make test runs Debian 12 and 13 side by side).
DEMO_NAME = os.environ.get("LAB_DEMO") or "demo"
BRAIN, BODY, OUTSIDER, LB = (f"{DEMO_NAME}-{role}" for role in ("brain", "body", "outsider", "lb"))

_LAB_ENV: dict[str, str] = {}


def lab_env(refresh: bool = False) -> dict[str, str]:
    """This process's environment plus the lab's (LAB_*, which the lab's group_vars read).

    The shared rig (network, mirror, registry) is brought up, or reused, on the first call.
    """
    if refresh or not _LAB_ENV:
        out = subprocess.run([str(PROJECT / "tests" / "lib" / "lab-services.sh"), "up"], cwd=PROJECT,
                             capture_output=True, text=True, timeout=900, check=True).stdout
        _LAB_ENV.clear()
        _LAB_ENV.update(re.findall(r"^export (\w+)=(.*)$", out, re.MULTILINE))
    return dict(os.environ, **_LAB_ENV, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
                ANSIBLE_CONFIG=str(PROJECT / "ansible.cfg"))


def rig_containers() -> dict[str, str]:
    """The shared services' containers (tests/lib/lab-services.sh) and the names hosts know them by."""
    return {os.environ.get("LAB_MIRROR_CONTAINER", "ai-stack-mirror"): "ollama-mirror",
            os.environ.get("LAB_REGISTRY_CONTAINER", "ai-stack-registry"): "registry.lab"}


def services_running() -> bool:
    """Whether this checkout's shared services (tests/lib/lab-services.sh) already run."""
    names = subprocess.run(["docker", "ps", "--filter", f"label=ai-stack-lab.owner={PROJECT}", "--filter",
                            "label=ai-stack-lab=true", "--format", "{{.Names}}"], capture_output=True, text=True,
                           timeout=60, check=False).stdout.split()
    return set(rig_containers()) <= set(names)


def run(*cmd: str | Path, timeout: int = 1500, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], cwd=PROJECT, capture_output=True, text=True, timeout=timeout,
                          check=False, env=env or lab_env())


def inventory_host(host: str, *sources: str | Path, env: dict[str, str] | None = None) -> dict:
    """A host's variables as ansible-inventory gives them (values from plugins are unwrapped from "unsafe")."""
    args = [arg for source in sources for arg in ("-i", str(source))]
    result = run(VENV_BIN / "ansible-inventory", *args, "--host", host, env=env)
    assert result.returncode == 0, result.stderr[-2000:]
    return {key: value["__ansible_unsafe"] if isinstance(value, dict) and "__ansible_unsafe" in value else value
            for key, value in json.loads(result.stdout).items()}


def sh(container: str, command: str, timeout: int = 60) -> subprocess.CompletedProcess:
    return run("docker", "exec", container, "bash", "-c", command, timeout=timeout)


def address(container: str, network: str) -> str:
    return run("docker", "inspect", "-f", f"{{{{(index .NetworkSettings.Networks \"{network}\").IPAddress}}}}",
               container).stdout.strip()


def backend_ask(body: str, token: str) -> dict:
    """The AI request as a user sends it, from the body to the backend."""
    payload = json.dumps({"command": "Say hello in five words."})
    result = sh(body, f"curl -fsS --max-time 60 -H 'Authorization: Bearer {token}' "
                      f"-H 'Content-Type: application/json' -d '{payload}' http://127.0.0.1:8000/api/ai/v3/command")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def brain_json(body: str, brain_address: str, path: str, payload: dict | None = None) -> dict:
    """A request straight to the brain, from the body (the only host allowed)."""
    data = f"-d '{json.dumps(payload)}'" if payload is not None else ""
    result = sh(body, f"curl -fsS --max-time 60 {data} http://{brain_address}:11434{path}")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def wait_warm(brain: str, body: str, brain_address: str, timeout: float = 120) -> None:
    """Bounded wait until ollama runs, its warm-up unit has finished, a model is loaded and the brain's front door
    admits requests again (its health agent's canary got a token)."""
    deadline = time.monotonic() + timeout
    state: dict[str, str] = {}
    while time.monotonic() < deadline:
        state = {line.partition("=")[0]: line.partition("=")[2] for line in
                 sh(brain, "systemctl show -p ActiveState -p Result ollama-warmup.service").stdout.split()}
        active = sh(brain, "systemctl is-active -q ollama").returncode == 0
        loaded = []
        if active:
            # The port opens a moment after the unit is active; an unanswered request is a "not yet".
            ps = sh(body, f"curl -fsS --max-time 5 http://{brain_address}:11434/api/ps")
            loaded = json.loads(ps.stdout)["models"] if ps.returncode == 0 else []
        health = f"curl -fsS --max-time 5 -o /dev/null http://{brain_address}:11434/healthz"
        admitted = loaded and sh(body, health).returncode == 0
        if state == {"ActiveState": "inactive", "Result": "success"} and admitted:
            return
        time.sleep(1)
    raise AssertionError(f"the warm-up did not load the model, or the front door did not admit the brain, within "
                         f"{timeout:.0f} s (unit state {state})")


def assert_warm_through_backend(brain: str, body: str, brain_address: str, token: str, model: str) -> None:
    """The backend is served by the brain, the model stays loaded forever, and no request pays a load."""
    answer = backend_ask(body, token)
    assert answer["source"] == "ollama", answer
    # The backend's request (no keep_alive) left the model loaded, kept forever by the server default.
    loaded = brain_json(body, brain_address, "/api/ps")["models"]
    assert [m["name"] for m in loaded] == [model]
    assert loaded[0]["expires_at"].startswith("2318"), loaded[0]["expires_at"]
    chat = brain_json(body, brain_address, "/api/chat",
                      {"model": model, "stream": False, "messages": [{"role": "user", "content": "hi"}]})
    assert chat["load_duration"] < 5_000_000, chat["load_duration"]
