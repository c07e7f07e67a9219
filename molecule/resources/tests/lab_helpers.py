"""Helpers shared by every scenario's testinfra tests."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from recap import recap  # tests import it from here too (tests/lib/recap.py)

PROJECT = Path(__file__).resolve().parents[3]


def lab_env(name: str) -> str:
    """A lab setting: from the environment make test exports, or from .cache/lab/env.sh when molecule runs alone."""
    if os.environ.get(name):
        return os.environ[name]
    saved = PROJECT / ".cache" / "lab" / "env.sh"
    for line in saved.read_text().splitlines() if saved.is_file() else []:
        key, _, value = line.removeprefix("export ").partition("=")
        if key == name:
            return value
    raise KeyError(f"{name} is neither in the environment nor in {saved}; run tests/lib/lab-services.sh up")


def scenario_dir() -> Path:
    return Path(os.environ["MOLECULE_SCENARIO_DIRECTORY"])


def run_playbook(playbook: str | Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """Run a playbook against this scenario's inventory with the same environment molecule uses."""
    cmd = ["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"], str(playbook), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))


def ad_hoc(pattern: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess:
    """An ad-hoc `ansible` command against this scenario's inventory, with molecule's environment."""
    cmd = ["ansible", "-i", os.environ["MOLECULE_INVENTORY_FILE"], pattern, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False,
                          env=dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))


def system_state(host) -> str:
    return host.run("systemctl is-system-running").stdout.strip()


def lab_host(name: str):
    """A testinfra host for another host of this scenario."""
    import testinfra

    return testinfra.get_host(f"ansible://{name}", ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"], sudo=True)


def address(host) -> str:
    """The host's address in the lab network (what the EC2 inventory calls private_ip_address)."""
    return host.ansible("setup", "filter=ansible_default_ipv4")["ansible_facts"]["ansible_default_ipv4"]["address"]


def wait_admitted(host, url: str, seconds: float) -> float | None:
    """Seconds until the brain's front door answered 200 on /healthz (its health agent's canary got a token), or None."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if host.run(f"curl -fsS -m 5 -o /dev/null {url}/healthz").rc == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def json_get(host, url: str, timeout: int = 10) -> dict:
    import json

    result = host.run(f"curl -fsS --max-time {timeout} {url}")
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def json_post(host, url: str, body: dict, timeout: int = 60) -> dict:
    import json
    import shlex

    # The status and the answer are kept, so a refusal (the front door's 503s differ only in their text) is named.
    result = host.run(f"curl -sS --max-time {timeout} -w '\\n%{{http_code}}' -H 'Content-Type: application/json' "
                      f"-d {shlex.quote(json.dumps(body))} {url}")
    *answer, status = result.stdout.strip().splitlines()
    assert result.rc == 0 and status == "200", (f"HTTP {status} from {url}", answer, result.stderr)
    return json.loads([line for line in answer if line.strip()][-1])


def snapshot(host, paths: list[str]) -> dict[str, str]:
    """What a refused run must leave as it was: file checksums, link targets, service PIDs."""
    state = {}
    for path in paths:
        f = host.file(path)
        state[path] = (f.linked_to if f.is_symlink else (f.md5sum if f.is_file else str(f.exists)))
    for unit in ("ollama.service", "ollama-firewall.service"):
        state[unit] = host.run(f"systemctl show -p MainPID -p ActiveEnterTimestamp {unit}").stdout
    return state


@pytest.fixture(scope="session")
def converged_scenario():
    """Drills change the hosts, so each drill run starts from the converged scenario, whatever ran before it."""
    result = run_playbook(scenario_dir() / "converge.yml")
    assert result.returncode == 0, result.stdout[-3000:]


def record_measurement(what: str) -> None:
    """Keep a number a test measured where `make test` keeps its logs (.cache/logs/measurements.log)."""
    logs = PROJECT / ".cache" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "measurements.log").open("a") as out:
        out.write(f"{os.environ.get('MOLECULE_SCENARIO_NAME', '?')}: {what}\n")


def scenario_converge(host_name: str, *fixed: str):
    """This scenario's converge.yml as a drill runs it: `converge(*args) -> (host_name's recap counts, output)`."""
    def converge(*args: str) -> tuple[dict, str]:
        result = run_playbook(scenario_dir() / "converge.yml", *fixed, *args)
        assert result.returncode == 0, result.stdout[-3000:]
        return recap(result.stdout)[host_name], result.stdout
    return converge


def wanted_state(role: str) -> dict:
    """A role's wanted state as its vars/main.yml declares it (_<role>_wanted_state), templates unrendered."""
    return yaml.safe_load((PROJECT / "roles" / role / "vars" / "main.yml").read_text())[f"_{role}_wanted_state"]


# A drift drill's cases: name -> (batch, kind in the role's wanted state (None: compared live, not by host_state),
# change by hand, what check mode names ('' when nothing names it), shell test that it was put back).
def kinds_off_the_cases(wanted, cases: dict, elsewhere) -> set:
    """The kinds of a wanted state (a role's vars/main.yml mapping) that no case changes and no other test covers,
    and the kinds of cases that the wanted state does not have (a case for nothing)."""
    covered = {case[1] for case in cases.values() if case[1]}
    return (set(wanted) - covered - set(elsewhere)) | (covered - set(wanted))


def drift_is_named_then_put_back(host, cases: dict, converge) -> None:
    """Make every change of `cases` by hand; `converge(*args) -> (counts, output)` in check mode with -v must
    report a change, name each one and leave all as it was; then one run must put each back."""
    for name, (_batch, _kind, change, _named, _restored) in cases.items():
        result = host.run(change)
        assert result.rc == 0, f"{name}: {result.stdout} {result.stderr}"
    counts, output = converge("--check", "--diff", "-v")
    assert counts["changed"] > 0, "check mode reported no change"
    # The YAML callback may fold a long sentence over lines.
    output = " ".join(output.split())
    unnamed = [name for name, (_b, _k, _c, named, _r) in cases.items() if named and named not in output]
    assert unnamed == [], f"check mode did not name {unnamed}: the role's compare does not see them"
    changed = [name for name, (_b, _k, _c, _n, restored) in cases.items() if host.run(restored).rc == 0]
    assert changed == [], f"check mode changed the host: {changed}"

    counts, _output = converge()
    assert counts["changed"] > 0
    left = [name for name, (_b, _k, _c, _n, restored) in cases.items() if host.run(restored).rc != 0]
    assert left == [], f"the run did not put back {left}"
