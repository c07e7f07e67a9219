"""ollama_brain_state: absent removes the service and keeps the models; runs last."""

import json

from lab_helpers import recap, run_playbook, scenario_dir

testinfra_hosts = ["ansible://lab-brain?sudo=true"]


def uninstall() -> dict:
    result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps({"ollama_brain_state": "absent"}))
    assert result.returncode == 0, result.stdout[-3000:]
    return recap(result.stdout)["lab-brain"]


def test_uninstall_removes_everything_but_the_models(host):
    assert uninstall()["changed"] > 0
    for path in ("/etc/systemd/system/ollama.service", "/etc/systemd/system/ollama.service.d",
                 "/etc/systemd/system/ollama-warmup.service", "/etc/systemd/system/ollama-firewall.service",
                 "/etc/ollama", "/usr/local/bin/ollama", "/usr/local/lib/ollama", "/opt/ollama",
                 "/usr/local/libexec/ollama-warmup", "/usr/local/libexec/ollama-verify-unit"):
        assert not host.file(path).exists, path
    assert not host.user("ollama").exists
    assert host.run("systemctl is-active ollama").stdout.strip() in ("inactive", "unknown")
    assert host.run("nft list table inet ollama_brain").rc != 0
    assert host.file("/usr/share/ollama/.ollama/models/manifests/registry.ollama.ai/library/gemma3/4b").exists


def test_second_uninstall_changes_nothing():
    assert uninstall()["changed"] == 0
