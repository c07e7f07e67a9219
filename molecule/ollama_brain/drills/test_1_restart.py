"""Warmth survives a restart without Ansible: the warm-up unit reloads the model with the backend's options.
A wedged Ollama is taken out and restarted by the health agent's watchdog."""

import csv
import time

import pytest
from lab_helpers import address, json_get, json_post, record_measurement, wait_admitted

testinfra_hosts = ["ansible://lab-brain?sudo=true"]

BACKEND_OPTIONS = {"temperature": 0.7, "num_predict": 2048, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}


@pytest.fixture(scope="module")
def url(host):
    return f"http://{address(host)}:11434"


def test_still_warm_after_restart_without_ansible(host, url):
    host.run_expect([0], "systemctl restart ollama")
    deadline = time.monotonic() + 60
    running = []
    while time.monotonic() < deadline and not running:
        time.sleep(1)
        result = host.run(f"curl -fsS -m 5 {url}/api/ps")
        running = result.rc == 0 and '"gemma3:4b"' in result.stdout
    assert running, "gemma3:4b was not reloaded within 60 s of the restart"
    # The front door admits inference once the health agent's canary got a token.
    assert wait_admitted(host, url, 30) is not None, "the front door did not admit the brain within 30 s of its warm-up"
    assert host.service("ollama-warmup").is_enabled
    answer = json_post(host, f"{url}/api/chat", {"model": "gemma3:4b", "stream": False, "options": BACKEND_OPTIONS,
                                                  "messages": [{"role": "user", "content": "hello"}]})
    assert answer["load_duration"] == 0


SHOW_STAT = ("python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/ollama-front-door/admin.sock'); "
             "s.sendall(b'show stat\\n'); print(b''.join(iter(lambda: s.recv(65536), b'')).decode())\"")


def front_door_server(host) -> str:
    """The front door's view of Ollama (UP, DOWN, ...), from its HAProxy runtime socket."""
    rows = csv.DictReader(host.run(SHOW_STAT).stdout.lstrip("# ").splitlines())
    return next(r["status"] for r in rows if r["pxname"] == "ollama_inference" and r["svname"] == "ollama")


def test_a_wedged_brain_is_taken_out_restarted_and_serving_again_within_two_minutes(host, url):
    """The double's generation hangs (its status endpoints still answer); the health agent finds the canary without a
    token after ollama_brain_health_wedge_seconds, the front door takes Ollama out, and the watchdog restarts it
    (which clears the hang), once, counted and logged."""
    before = json_get(host, f"{url}/healthz")["restarts_total"]
    assert front_door_server(host) == "UP"
    host.run_expect([0], "touch /usr/share/ollama/.ollama/wedge")
    wedged_at = time.monotonic()
    took_out = served = None
    try:
        while time.monotonic() - wedged_at < 180 and served is None:
            if took_out is None and front_door_server(host).startswith("DOWN"):
                took_out = time.monotonic() - wedged_at
                # Out: an inference request is refused at once, not held until the backend's timeout.
                refused = host.run(f"curl -sS -m 10 -o /dev/null -w '%{{http_code}} %{{time_total}}' "
                                   f"-d '{{\"model\": \"gemma3:4b\", \"prompt\": \"hi\", \"stream\": false}}' "
                                   f"{url}/api/generate").stdout.split()
                assert refused[0] == "503" and float(refused[1]) < 1, refused
            if took_out is not None and front_door_server(host) == "UP":
                answer = host.run(f"curl -fsS -m 30 -d '{{\"model\": \"gemma3:4b\", \"prompt\": \"hi\", "
                                  f"\"stream\": false}}' {url}/api/generate")
                if answer.rc == 0:
                    served = time.monotonic() - wedged_at
            time.sleep(0.5)
    finally:
        host.run("rm -f /usr/share/ollama/.ollama/wedge")
    assert took_out is not None, "the front door never took the wedged Ollama out"
    assert served is not None, "the brain did not serve again within 180 s of the wedge"
    record_measurement(f"wedge to out {took_out:.0f} s, wedge to first answer served again {served:.0f} s")
    assert served <= 120
    assert json_get(host, f"{url}/healthz")["restarts_total"] == before + 1
    assert "watchdog: restarting ollama" in host.run("journalctl -u ollama-health --no-pager").stdout
