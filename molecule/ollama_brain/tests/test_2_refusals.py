"""Bad inputs and hosts too small fail before anything changes, with one sentence saying what to do."""

import json

import pytest
from lab_helpers import run_playbook, scenario_dir, snapshot

testinfra_hosts = ["ansible://lab-brain?sudo=true"]

WATCHED = [
    "/etc/systemd/system/ollama.service",
    "/etc/systemd/system/ollama.service.d/override.conf",
    "/etc/ollama/firewall.nft",
    "/usr/local/bin/ollama",
    "/usr/local/lib/ollama",
    "/srv/small/models",
    "/opt/ollama/0.99.0",
    "/opt/ollama/0.30.0",
]


@pytest.mark.parametrize(("extra_vars", "message"), [
    ({"ollama_brain_models": ["gemma3:12b"]},
     "gemma3:12b needs about 9.3 GiB of memory at a 4096-token context plus 1.0 GiB for the system, "
     "but this host has 7.6 GiB; choose a smaller model (gemma3:4b fits an 8 GB host) or a larger instance type."),
    ({"ollama_brain_models_dir": "/srv/small/models"},
     "Pulling gemma3:4b needs 3.1 GiB plus 2.0 GiB headroom on /srv/small, but only 1.0 GiB is free; "
     "choose a smaller model or grow the volume"),
    ({"ollama_brain_version": "0.30.0"},
     "ollama_brain_version 0.30.0 is older than 0.31.2, the first release fixed for ollama#17042 (GGUF parser denial "
     "of service through /api/create (fixed by ollama#17062)); set ollama_brain_version to 0.31.2 or newer (the default "
     "is 0.34.2), or set ollama_brain_allow_vulnerable_version: true to accept the risk."),
    ({"ollama_brain_version": "0.99.0"},
     "Ollama 0.99.0 has no release at http://ollama-mirror:8080/ollama/ollama/releases/download/v0.99.0/sha256sum.txt "
     "(HTTP 404); set ollama_brain_version to a published release, for example 0.34.2."),
    ({"ollama_brain_version": "latest"},
     "ollama_brain_version is 'latest', which is not a release number; write the release to pin, for example 0.34.2, "
     "so that every run installs the same Ollama."),
    ({"ollama_brain_listen_address": "0.0.0.0"},
     "ollama_brain_listen_address is '0.0.0.0', which exposes Ollama's unauthenticated API on every interface; "
     "keep the default (the host's private address) or set ollama_brain_allow_public_bind: true."),
    ({"ollama_brain_models": ["gemma3:5b"]},
     "gemma3:5b is not in the registry at http://ollama-mirror:8080/registry (HTTP 404); "
     "check the model name and tag in ollama_brain_models, for example gemma3:4b."),
], ids=["ram", "disk", "below-advisory-floor", "missing-release", "not-a-version", "public-bind", "unknown-model"])
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
