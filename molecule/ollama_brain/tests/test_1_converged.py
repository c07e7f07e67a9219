"""The converged brain: service, binding, drop-in, firewall, models, warmth."""

import json

import pytest
from lab_helpers import address, json_get, json_post, lab_host, recap, record_measurement, run_playbook, scenario_dir
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


def test_the_front_door_alone_takes_the_private_address_and_ollama_only_loopback(host):
    private = address(host)
    assert host.socket(f"tcp://{private}:11434").is_listening
    assert not host.socket("tcp://0.0.0.0:11434").is_listening
    assert not host.socket("tcp://127.0.0.1:11434").is_listening
    listeners = host.run("ss -Htlnp").stdout
    assert [line for line in listeners.splitlines() if f"{private}:11434" in line and '"haproxy"' in line]
    for port in (11435, 11436):  # Ollama, the health agent
        assert host.socket(f"tcp://127.0.0.1:{port}").is_listening
        assert not host.socket(f"tcp://0.0.0.0:{port}").is_listening
        assert not host.socket(f"tcp://{private}:{port}").is_listening
    for unit in ("ollama-front-door", "ollama-health"):
        assert host.service(unit).is_enabled and host.service(unit).is_running, unit


def test_dropin_configures_the_service(host):
    dropin = host.file("/etc/systemd/system/ollama.service.d/override.conf")
    assert dropin.mode == 0o644
    text = dropin.content_string
    for line in ('OLLAMA_HOST=127.0.0.1:11435', 'OLLAMA_KEEP_ALIVE=-1', 'OLLAMA_CONTEXT_LENGTH=4096',
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


def test_the_front_door_passes_inference_and_status_and_refuses_model_management(host, url):
    client = lab_host("lab-client")
    for method, path in (("GET", "/api/tags"), ("GET", "/api/version"), ("GET", "/api/ps"), ("GET", "/")):
        assert client.run(f"curl -fsS -m 5 -X {method} {url}{path}").rc == 0, path
    for method, path, body in (("POST", "/api/pull", '{"model": "llama3.2:1b"}'),
                               ("DELETE", "/api/delete", '{"model": "gemma3:4b"}'),
                               ("POST", "/api/create", '{"model": "x", "from": "gemma3:4b"}'),
                               ("POST", "/api/copy", '{"source": "gemma3:4b", "destination": "y"}'),
                               ("POST", "/api/push", '{"model": "gemma3:4b"}'), ("POST", "/api/blobs/sha256:00", "x"),
                               ("GET", "/api/tags/../pull", "")):
        answer = client.run(f"curl -sS -m 5 --path-as-is -X {method} -d '{body}' -w '\\n%{{http_code}}' {url}{path}")
        text, code = answer.stdout.rsplit("\n", 1)
        assert code == "403", (method, path, answer.stdout)
        assert "model management runs on the brain itself" in json.loads(text)["error"], text
    # Nothing changed: the model is still there, nothing was pulled, created or copied.
    assert [m["name"] for m in json_get(host, f"{url}/api/tags")["models"]] == ["gemma3:4b"]


def test_the_front_door_admits_num_parallel_queues_a_few_and_refuses_the_rest_at_once(host, url):
    """One slot (num_parallel 1) and two queued (twice that): with the slot held, the fourth and later get 503 at once."""
    host.run_expect([0], "touch /usr/share/ollama/.ollama/wedge")  # the slot's request gets no token: it holds the slot
    try:
        answers = host.run(
            "for i in 1 2 3 4 5 6; do (curl -s -m 20 -o /dev/null -w '%{http_code} %{time_total}\\n' "
            f"-d '{{\"model\": \"gemma3:4b\", \"prompt\": \"hi\", \"stream\": false}}' {url}/api/generate &); "
            "sleep 0.3; done; sleep 18").stdout.split("\n")
    finally:
        host.run("rm -f /usr/share/ollama/.ollama/wedge")
    codes = [line.split() for line in answers if line.strip()]
    fast_refusals = [float(t) for code, t in codes if code == "503" and float(t) < 1]
    queue_timeouts = [float(t) for code, t in codes if code == "503" and float(t) >= 14]
    assert len(fast_refusals) == 3, codes  # beyond the slot and the two queued
    assert len(queue_timeouts) == 2, codes  # the queued waited the queue timeout (half of AI_TIMEOUT)
    record_measurement(f"front door: refusal beyond the queue in {max(fast_refusals) * 1000:.0f} ms at most")
    # Released, the held request finishes and the brain answers again.
    assert json_post(host, f"{url}/api/generate", {"model": "gemma3:4b", "prompt": "hi", "stream": False})["done"]


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
