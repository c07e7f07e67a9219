"""The converged brain: service, binding, drop-in, firewall, models, warmth."""

import pytest
from lab_helpers import address, json_get, json_post, lab_host, recap, run_playbook, scenario_dir
from pins import OLLAMA_DEFAULT

testinfra_hosts = ["ansible://lab-brain?sudo=true"]

BACKEND_OPTIONS = {"temperature": 0.7, "num_predict": 2048, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}


@pytest.fixture(scope="module")
def url(host):
    return f"http://{address(host)}:11434"


def test_service_enabled_running_as_ollama(host):
    service = host.service("ollama")
    assert service.is_enabled and service.is_running
    assert host.process.get(comm="python3", user="ollama")  # the double runs as Python
    user = host.user("ollama")
    assert user.shell == "/bin/false" and user.home == "/usr/share/ollama"


def test_binds_private_address_only(host):
    private = address(host)
    assert host.socket(f"tcp://{private}:11434").is_listening
    assert not host.socket("tcp://0.0.0.0:11434").is_listening
    assert not host.socket("tcp://127.0.0.1:11434").is_listening


def test_dropin_configures_the_service(host):
    dropin = host.file("/etc/systemd/system/ollama.service.d/override.conf")
    assert dropin.mode == 0o644
    text = dropin.content_string
    for line in (f'OLLAMA_HOST={address(host)}:11434', 'OLLAMA_KEEP_ALIVE=-1', 'OLLAMA_CONTEXT_LENGTH=4096',
                 'OLLAMA_NUM_PARALLEL=1', 'OLLAMA_MAX_LOADED_MODELS=1', 'OLLAMA_NOPRUNE=1', 'OLLAMA_NO_CLOUD=1',
                 'OLLAMA_MODELS=/usr/share/ollama/.ollama/models', 'NoNewPrivileges=true', 'ProtectSystem=strict'):
        assert line in text, line
    shown = host.run("systemctl show ollama -p Environment -p User -p Restart -p CPUQuotaPerSecUSec").stdout
    assert "OLLAMA_KEEP_ALIVE=-1" in shown and "User=ollama" in shown and "Restart=always" in shown
    assert "CPUQuotaPerSecUSec=infinity" in shown  # a CPU quota would throttle inference


def test_pinned_release_is_linked(host):
    assert host.file("/usr/local/bin/ollama").linked_to == f"/opt/ollama/{OLLAMA_DEFAULT}/bin/ollama"
    assert host.file("/usr/local/lib/ollama").linked_to == f"/opt/ollama/{OLLAMA_DEFAULT}/lib/ollama"
    assert host.run("ls /var/tmp | grep -c ollama-release-").stdout.strip() == "0"  # the archive is gone


def test_firewall_admits_the_body_and_refuses_others(host, url):
    assert lab_host("lab-client").run(f"curl -fsS -m 5 {url}/api/version").rc == 0
    outsider = lab_host("lab-outsider").run(f"curl -fsS -m 3 -w '%{{time_total}}' {url}/api/version")
    assert outsider.rc == 7  # refused: the firewall answers with a TCP reset
    assert float(outsider.stdout or 0) < 1  # at once, not after a time-out
    table = host.run("nft list table inet ollama_brain").stdout
    assert address(lab_host("lab-client")) in table
    assert address(lab_host("lab-outsider")) not in table


def test_firewall_leaves_other_tables_alone(host):
    host.run_expect([0], "nft add table inet site_firewall")
    try:
        host.run_expect([0], "systemctl reload ollama-firewall")
        assert "table inet site_firewall" in host.run("nft list tables").stdout
    finally:
        host.run("nft delete table inet site_firewall")


def test_model_listed_and_warm_forever(host, url):
    assert "gemma3:4b" in [m["name"] for m in json_get(host, f"{url}/api/tags")["models"]]
    [running] = json_get(host, f"{url}/api/ps")["models"]
    assert running["name"] == "gemma3:4b"
    assert running["expires_at"].startswith("2318")
    assert running["context_length"] == 4096


def test_backends_first_request_is_warm(host, url):
    answer = json_post(host, f"{url}/api/chat", {"model": "gemma3:4b", "stream": False, "options": BACKEND_OPTIONS,
                                                  "messages": [{"role": "user", "content": "Hai, apa khabar?"}]})
    assert answer["load_duration"] == 0
    [running] = json_get(host, f"{url}/api/ps")["models"]
    assert running["expires_at"].startswith("2318")  # no keep_alive sent: the server-wide one applies


def test_check_mode_on_converged_host_changes_nothing():
    result = run_playbook(scenario_dir() / "converge.yml", "--check", "--diff")
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap(result.stdout)["lab-brain"]["changed"] == 0, result.stdout[-3000:]
