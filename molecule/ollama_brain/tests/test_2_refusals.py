"""Bad inputs and hosts too small fail before anything changes, with one sentence saying what to do."""

import json

import pytest
from lab_helpers import run_playbook, scenario_dir, snapshot

testinfra_hosts = ["ansible://lab-brain"]

WATCHED = [
    "/etc/systemd/system/ollama.service",
    "/etc/systemd/system/ollama.service.d/override.conf",
    "/etc/ollama/firewall.nft",
    "/usr/local/bin/ollama",
    "/usr/local/lib/ollama",
    "/srv/small/models",
]


@pytest.mark.parametrize(("extra_vars", "message"), [
    ({"ollama_brain_models": ["gemma3:12b"]},
     "gemma3:12b needs about 9.3 GiB of memory at a 4096-token context plus 1.0 GiB for the system, "
     "but this host has 7.6 GiB; choose a smaller model (gemma3:4b fits an 8 GB host) or a larger instance type."),
    ({"ollama_brain_models_dir": "/srv/small/models"},
     "Pulling gemma3:4b needs 3.1 GiB plus 2.0 GiB headroom on /srv/small, but only 1.0 GiB is free; "
     "choose a smaller model or grow the volume"),
    ({"ollama_brain_version": "0.34.2"},
     "Ollama 0.34.2 is not a safe release version: versions before 0.35.0 have known /api/pull and /api/create "
     "vulnerabilities; set ollama_brain_version to 0.35.0 or newer, or set ollama_brain_allow_vulnerable_version: true"),
    ({"ollama_brain_listen_address": "0.0.0.0"},
     "ollama_brain_listen_address is '0.0.0.0', which exposes Ollama's unauthenticated API on every interface; "
     "keep the default (the host's private address) or set ollama_brain_allow_public_bind: true."),
    ({"ollama_brain_models": ["gemma3:5b"]},
     "gemma3:5b is not in the registry at http://ollama-mirror:8080/registry (HTTP 404); "
     "check the model name and tag in ollama_brain_models, for example gemma3:4b."),
], ids=["ram", "disk", "vulnerable-version", "public-bind", "unknown-model"])
def test_refused_without_change(host, extra_vars, message):
    before = snapshot(host, WATCHED)
    result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps(extra_vars))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-2000:]
    assert snapshot(host, WATCHED) == before


def test_public_bind_with_opt_in_warns(host):
    result = run_playbook(scenario_dir() / "converge.yml", "--check", "-e",
                          json.dumps({"ollama_brain_listen_address": "0.0.0.0", "ollama_brain_allow_public_bind": True}))
    output = " ".join(result.stdout.split())
    assert result.returncode == 0, output[-2000:]
    assert "WARNING: Ollama will listen on 0.0.0.0:11434 (every interface)" in output
