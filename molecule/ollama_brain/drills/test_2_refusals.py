"""Bad inputs and hosts too small fail before anything changes, with one sentence saying what to do."""

import hashlib
import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from lab_helpers import address, lab_env, record_measurement, run_playbook, scenario_dir, snapshot
from pins import OLLAMA_DEFAULT

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
     f"is {OLLAMA_DEFAULT}), or set ollama_brain_allow_vulnerable_version: true to accept the risk."),
    ({"ollama_brain_version": "0.99.0"},
     "Ollama 0.99.0 has no release at http://ollama-mirror:8080/ollama/ollama/releases/download/v0.99.0/sha256sum.txt "
     f"(HTTP 404); set ollama_brain_version to a published release, for example {OLLAMA_DEFAULT}."),
    ({"ollama_brain_version": "latest"},
     "ollama_brain_version is 'latest', which is not a release number; write the release to pin, for example "
     f"{OLLAMA_DEFAULT}, "
     "so that every run installs the same Ollama."),
    ({"ollama_brain_listen_address": "0.0.0.0"},
     "ollama_brain_listen_address is '0.0.0.0', which exposes Ollama's unauthenticated API on every interface; "
     "keep the default (the host's private address) or set ollama_brain_allow_public_bind: true."),
    ({"ollama_brain_models": ["gemma3:5b"]},
     "gemma3:5b is not in the registry at http://ollama-mirror:8080/registry (HTTP 404); "
     "check the model name and tag in ollama_brain_models, for example gemma3:4b."),
    ({"ollama_brain_environment": {"OLLAMA_ORIGINS": 'http://a"b'}},
     "systemd rejects the new drop-in /etc/systemd/system/ollama.service.d/override.conf (new "
     "ollama.service.d/override.conf:"),
], ids=["ram", "disk", "below-advisory-floor", "missing-release", "not-a-version", "public-bind", "unknown-model",
        "systemd-rejects-the-drop-in"])
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
    assert ("WARNING: ollama_brain_allow_public_bind is true: the front door will listen on 0.0.0.0:11434 "
            "(every interface)") in output


def test_every_bad_input_is_named_in_one_refusal(host):
    """One run with a bad value of each class: each is named in its own sentence, and nothing changes."""
    bad = {
        "ollama_brain_keep_alive": "forever",
        "ollama_brain_listen_address": "brain.internal",
        # A type check reads it as 11434; the drop-in would carry the space.
        "ollama_brain_port": "11434 ",
        "ollama_brain_models": [],
        "ollama_brain_warm_models": ["../../etc/passwd"],
        "ollama_brain_install_root": "opt/ollama",
        "ollama_brain_environment": {"OLLAMA_HOST": "0.0.0.0"},
        "ollama_brain_allowed_clients": ["0.0.0.0/1", "128.0.0.0/1"],
        "ollama_brain_derived_models": [{"name": "big", "from": "gpt-oss:120b-cloud"}],
        "ollama_brain_wait_timeout": 0,
        "ollama_brain_release_base_url": "github.com/ollama/ollama/releases/download",
    }
    before = snapshot(host, WATCHED)
    result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps(bad))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    for sentence in [
        "ollama_brain_keep_alive is 'forever', which Ollama cannot read as a duration; write -1 (keep loaded forever), "
        "0 (unload at once), whole seconds such as 300, or a duration such as 5m or 24h.",
        f"ollama_brain_listen_address is 'brain.internal', which is not an IP address; write one of this host's addresses "
        f"({address(host)}",
        "ollama_brain_port is '11434 ', which is not a TCP port; write a number from 1 to 65535, for example 11434.",
        "ollama_brain_derived_models holds 'gpt-oss:120b-cloud', which runs on ollama.com, so prompts would leave the "
        "brain; list models that run on the brain, or set ollama_brain_allow_cloud_models: true to accept that.",
        "ollama_brain_models is empty; list at least one model, such as gemma3:4b.",
        "ollama_brain_warm_models holds '../../etc/passwd', which is not a model reference; write name:tag such as "
        "gemma3:4b (or namespace/name:tag).",
        "ollama_brain_install_root is 'opt/ollama', which is not an absolute path; write one that starts with /, "
        "such as /opt/ollama.",
        "ollama_brain_environment sets OLLAMA_HOST, which this role sets itself; use ollama_brain_loopback_port instead.",
        "ollama_brain_allowed_clients admits every IPv4 address (0.0.0.0/1, 128.0.0.0/1);",
        "ollama_brain_wait_timeout is 0, which is not a whole number of at least 1; write 300.",
        "ollama_brain_release_base_url is 'github.com/ollama/ollama/releases/download', which is not a http or https URL",
    ]:
        assert sentence in output, sentence
    assert snapshot(host, WATCHED) == before


# Polls the brain's API from inside the brain (its firewall admits loopback
# traffic only besides the body) every 0.2 s until told to stop; bounded to
# 1500 polls (about 5 minutes) in any case.
PROBE = """
for i in $(seq 1500); do
  [ -e /run/stop-probe ] && break
  printf '%s %s\\n' "$(date +%s.%N)" "$(curl -s -o /dev/null -m 1 -w '%{http_code}' {url} || true)"
  sleep 0.2
done
"""


def test_a_version_and_configuration_that_do_not_start_are_rolled_back(host):
    """The new version on a loopback port another service holds: the old version and files serve again within 60 s.

    The probe asks through the front door, as the backend does: the outage it measures is the users'.
    """
    ip = address(host)
    host.run("rm -f /run/stop-probe")
    assert host.run("systemd-run --unit lab-busy-port --property RuntimeMaxSec=600 "
                    "python3 -m http.server 11500 --bind 0.0.0.0").rc == 0
    probe = subprocess.Popen(["docker", "exec", "lab-brain", "bash", "-c",
                              PROBE.replace("{url}", f"http://{ip}:11434/api/version")],
                             stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1)
        result = run_playbook(scenario_dir() / "converge.yml", "-e",
                              json.dumps({"ollama_brain_loopback_port": 11500, "ollama_brain_version": "0.32.3"}))
        time.sleep(1)
    finally:
        host.run("touch /run/stop-probe")
        samples, _ = probe.communicate(timeout=30)
        host.run("systemctl stop lab-busy-port")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert ("Ollama did not answer at http://127.0.0.1:11500 within 20 s of its restart with the new version and "
            "configuration (its log says: ") in output, output[-3000:]
    assert "in use" in output
    assert (f"the previous configuration is serving again at http://127.0.0.1:11435 (Ollama {OLLAMA_DEFAULT}); "
            "fix that setting and run again.") in output
    assert host.file("/usr/local/bin/ollama").linked_to == f"/opt/ollama/{OLLAMA_DEFAULT}/bin/ollama"
    assert "OLLAMA_HOST=127.0.0.1:11435" in host.file("/etc/systemd/system/ollama.service.d/override.conf").content_string
    assert "dport 11434" in host.file("/etc/ollama/firewall.nft").content_string
    assert host.run("ls /etc/ollama /etc/systemd/system/ollama.service.d | grep -c '~$'").stdout.strip() == "0"
    # The outage, measured: from the first poll the old server did not answer to the first it answered again.
    polls = [(float(t), code) for t, code in (line.split() for line in samples.splitlines() if len(line.split()) == 2)]
    down = [t for t, code in polls if code != "200"]
    assert down, "the probe never saw the restart: it cannot have measured the outage"
    back = [t for t, code in polls if code == "200" and t > down[0]]
    assert back, "the previous configuration never answered again"
    record_measurement(f"rollback outage {back[0] - down[0]:.1f} s (failed start to the previous configuration answering)")
    assert back[0] - down[0] <= 60
    assert polls[-1][1] == "200"


def test_an_archive_that_does_not_match_its_checksum_installs_nothing(host):
    """A mirror serving a different file than sha256sum.txt names: refused in one sentence, nothing left behind."""
    release = Path(lab_env("LAB_MIRROR_DIR")) / "ollama/ollama/releases/download/v0.34.9"
    good = release.parent / f"v{OLLAMA_DEFAULT}" / "ollama-linux-amd64.tar.zst"
    release.mkdir()
    try:
        (release / "ollama-linux-amd64.tar.zst").write_bytes(good.read_bytes() + b"tampered")
        (release / "sha256sum.txt").write_text(
            hashlib.sha256(good.read_bytes()).hexdigest() + "  ollama-linux-amd64.tar.zst\n")
        before = snapshot(host, [*WATCHED, "/opt/ollama/0.34.9"])
        result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps({"ollama_brain_version": "0.34.9"}))
    finally:
        shutil.rmtree(release)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0, output[-3000:]
    assert "Ollama 0.34.9 was not installed: http://ollama-mirror:8080/ollama/ollama/releases/download/v0.34.9/" in output
    assert "did not match" in output and "the running version is unchanged." in output, output[-3000:]
    assert not host.file("/opt/ollama/0.34.9").exists
    assert host.file("/usr/local/bin/ollama").linked_to == f"/opt/ollama/{OLLAMA_DEFAULT}/bin/ollama"
    assert snapshot(host, [*WATCHED, "/opt/ollama/0.34.9"]) == before
    assert host.run("ls /var/tmp | grep -c ollama-release-").stdout.strip() == "0"
