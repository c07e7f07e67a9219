"""Warmth survives a restart without Ansible: the warm-up unit reloads the model with the backend's options."""

import time

import pytest
from lab_helpers import address, json_post

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
    assert host.service("ollama-warmup").is_enabled
    answer = json_post(host, f"{url}/api/chat", {"model": "gemma3:4b", "stream": False, "options": BACKEND_OPTIONS,
                                                  "messages": [{"role": "user", "content": "hello"}]})
    assert answer["load_duration"] == 0
