"""Changing ollama_brain_version upgrades or downgrades in place and keeps one version for rollback."""

import json

import pytest
from lab_helpers import address, json_get, recap, run_playbook, scenario_dir
from pins import OLLAMA_DEFAULT

testinfra_hosts = ["ansible://lab-brain?sudo=true"]


def converge(version: str | None = None) -> dict:
    extra = {} if version is None else {"ollama_brain_version": version, "ollama_brain_allow_vulnerable_version": True}
    result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps(extra))
    assert result.returncode == 0, result.stdout[-3000:]
    return recap(result.stdout)["lab-brain"]


def installed(host) -> set[str]:
    return set(host.run("ls /opt/ollama").stdout.split()) - {"previous-version"}


D = OLLAMA_DEFAULT


@pytest.mark.parametrize(("version", "expected_dirs", "previous"), [
    ("0.32.3", {"0.32.3", D}, D),      # downgrade: the current one is kept for rollback
    (None, {"0.32.3", D}, "0.32.3"),   # back to the default
    ("0.13.5", {"0.13.5", D}, D),      # an old .tgz release (opted in); 0.32.3 is now two back and removed
    (None, {"0.13.5", D}, "0.13.5"),
], ids=["downgrade", "upgrade", "old-tgz-release", "default-again"])
def test_version_switch(host, version, expected_dirs, previous):
    want = version or OLLAMA_DEFAULT
    counts = converge(version)
    assert counts["changed"] > 0
    assert host.file("/usr/local/bin/ollama").linked_to == f"/opt/ollama/{want}/bin/ollama"
    assert installed(host) == expected_dirs
    assert host.file("/opt/ollama/previous-version").content_string.strip() == previous
    url = f"http://{address(host)}:11434"
    assert json_get(host, f"{url}/api/version")["version"] == want
    [running] = json_get(host, f"{url}/api/ps")["models"]  # warm again after the restart
    assert running["name"] == "gemma3:4b"


def test_rerun_after_switch_changes_nothing():
    assert converge()["changed"] == 0
