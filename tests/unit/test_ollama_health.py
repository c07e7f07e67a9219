"""The brain's health agent (roles/ollama_brain/files/ollama-health) against the Ollama double on loopback.

The double is the real process; only the restart command differs from the one the role
installs (systemctl restart ollama.service): here it leaves a mark, and the test restarts
the double itself, as systemd would.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import ollama_model_wait
import pytest
from conftest import run_module
from ports import free_port

ROOT = Path(__file__).resolve().parents[2]
AGENT = ROOT / "roles" / "ollama_brain" / "files" / "ollama-health"
MODEL = "gemma3:1b"


def load_agent():
    loader = importlib.machinery.SourceFileLoader("ollama_health", str(AGENT))
    spec = importlib.util.spec_from_loader("ollama_health", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


health = load_agent()


@pytest.fixture
def brain(double_factory, tmp_path):
    """A double with the model pulled and loaded, and its wedge file."""
    wedge = tmp_path / "wedge"
    server = double_factory(OLLAMA_DOUBLE_WEDGE_FILE=str(wedge)).start()
    server.pull(MODEL)
    server.api("POST", "/api/generate", {"model": MODEL, "prompt": "", "keep_alive": -1, "stream": False})
    server.wedge = wedge
    return server


def make_agent(server, tmp_path, **overrides):
    marks = tmp_path / "restarts.log"
    config = {
        "ollama_url": server.url,
        "listen": ["127.0.0.1", free_port()],
        "canary": {"model": MODEL, "prompt": "Reply with OK.", "keep_alive": -1, "options": {"num_predict": 4}},
        "interval": 60, "retry_interval": 1, "wedge_seconds": 3,
        "max_restarts": 2, "restart_window": 3600, "settle_seconds": 0.5,
        "restart_command": [sys.executable, "-c", f"open({str(marks)!r}, 'a').write('restart\\n')"],
        "state_file": str(tmp_path / "state.json"),
        "statsd": None,
    }
    config.update(overrides)
    agent = health.Agent(config)
    agent.marks = marks
    return agent


def restarts_asked(agent) -> int:
    return len(agent.marks.read_text().splitlines()) if agent.marks.exists() else 0


@contextmanager
def served(agent):
    """The agent's HTTP endpoints on its listen address, as ollama-health.service serves them, until the block ends."""
    httpd = health.ThreadingHTTPServer(tuple(agent.config["listen"]), health.handler_for(agent))
    serving = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    serving.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        serving.join(5)


def test_a_brain_is_unhealthy_until_its_first_canary_answers_then_healthy(brain, tmp_path):
    agent = make_agent(brain, tmp_path)
    status, body = agent.verdict()
    assert (status, body["status"]) == (503, "starting")
    canary = agent.check_once()
    assert canary.outcome == "ok", canary.detail
    status, body = agent.verdict()
    assert (status, body["status"]) == (200, "healthy")
    assert body["ttft_ms"] > 0 and body["tokens_per_second"] > 0
    assert body["load_ms"] == 0  # the fixture loaded the model: the canary found it warm
    assert restarts_asked(agent) == 0


def test_a_canary_that_loads_the_model_reports_the_load_apart_from_its_time_to_first_token(double_factory, tmp_path):
    server = double_factory(OLLAMA_DOUBLE_PROFILE="m7i-flex-large").start()
    server.pull(MODEL)
    agent = make_agent(server, tmp_path, wedge_seconds=60)
    canary = agent.check_once()
    assert canary.outcome == "ok", canary.detail
    assert canary.load_ms > 0
    assert canary.ttft_ms < (canary.first_token - canary.started) * 1000  # the load is not counted as TTFT


def test_a_wedged_brain_is_restarted_then_healthy_again_after_the_restart(brain, tmp_path):
    agent = make_agent(brain, tmp_path)
    assert agent.check_once().outcome == "ok"
    brain.wedge.touch()
    # Its status endpoints still answer, as in ollama#10119.
    assert brain.api("GET", "/api/ps", timeout=5)["models"]
    canary = agent.check_once()
    assert canary.outcome == "wedged"
    assert restarts_asked(agent) == 1
    status, body = agent.verdict()
    assert (status, body["status"], body["restarts_total"]) == (503, "restarting", 1)
    assert json.loads(Path(agent.config["state_file"]).read_text())["restarts_total"] == 1
    # What systemd does with the restart: the process goes, a new one comes (and the hang with it).
    brain.stop()
    brain.start()
    assert not brain.wedge.exists()
    brain.api("POST", "/api/generate", {"model": MODEL, "prompt": "", "keep_alive": -1, "stream": False})
    assert agent.check_once().outcome == "ok"
    assert agent.verdict()[0] == 200


def test_restarts_are_bounded_and_survive_an_agent_restart(brain, tmp_path):
    agent = make_agent(brain, tmp_path, max_restarts=1)
    brain.wedge.touch()
    agent.check_once()
    assert restarts_asked(agent) == 1
    # The same state file, read by a new agent (the agent itself restarted): still one restart in the window.
    again = make_agent(brain, tmp_path, max_restarts=1)
    canary = again.check_once()
    assert canary.outcome == "wedged"
    assert restarts_asked(again) == 1, "the watchdog restarted beyond max_restarts"
    status, body = again.verdict()
    assert (status, body["status"]) == (503, "wedged")
    assert "not restarting" in body["detail"]


def test_a_busy_brain_stays_healthy_while_the_canary_waits_and_is_never_restarted(double_factory, tmp_path):
    # One slot, taken by a real request that streams for about 4 s (slow profile, 24 tokens at ~6/s for a 4B
    # model, faster for 1B): the canary waits behind it, under wedge_seconds.
    server = double_factory(OLLAMA_DOUBLE_PROFILE="m7i-flex-large", OLLAMA_DOUBLE_RESPONSE_TOKENS="60").start()
    server.pull(MODEL)
    server.api("POST", "/api/generate", {"model": MODEL, "prompt": "", "keep_alive": -1, "stream": False}, timeout=60)
    agent = make_agent(server, tmp_path, wedge_seconds=30)
    assert agent.check_once().outcome == "ok"
    long_request = threading.Thread(
        target=server.api, args=("POST", "/api/generate", {"model": MODEL, "prompt": "Tell me a story.", "stream": True}),
        kwargs={"timeout": 60})
    long_request.start()
    time.sleep(0.5)
    checking = threading.Thread(target=agent.check_once)
    checking.start()
    seen = []
    while checking.is_alive():
        status, body = agent.verdict()
        seen.append((status, body["canary_waiting_seconds"]))
        time.sleep(0.25)
    checking.join()
    long_request.join(60)
    assert max(waited for _, waited in seen) >= 1, f"the canary never waited behind the real request: {seen}"
    assert all(status == 200 for status, _ in seen), seen
    assert agent.canary.outcome == "ok"
    assert restarts_asked(agent) == 0


def test_a_stopped_ollama_is_down_and_never_restarted(brain, tmp_path):
    agent = make_agent(brain, tmp_path)
    brain.stop()
    canary = agent.check_once()
    assert canary.outcome == "down"
    assert agent.verdict()[0] == 503
    assert restarts_asked(agent) == 0


def test_a_refusal_from_ollama_is_an_error_not_a_wedge(double_factory, tmp_path):
    server = double_factory(OLLAMA_DOUBLE_QUEUE_FULL="1").start()
    server.pull(MODEL)
    agent = make_agent(server, tmp_path)
    canary = agent.check_once()
    assert canary.outcome == "error" and "503" in canary.detail, canary.detail
    assert agent.verdict()[0] == 503
    assert restarts_asked(agent) == 0


def test_the_agent_serves_healthz_and_metrics_over_http_and_sends_statsd(brain, tmp_path):
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listener.bind(("127.0.0.1", 0))
    listener.settimeout(5)
    agent = make_agent(brain, tmp_path, statsd=f"127.0.0.1:{listener.getsockname()[1]}")
    host, port = agent.config["listen"]
    try:
        with served(agent):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5)
            assert refused.value.code == 503
            agent.check_once()
            with urllib.request.urlopen(f"http://{host}:{port}/healthz", timeout=5) as answer:
                assert json.loads(answer.read())["status"] == "healthy"
            with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as answer:
                assert json.loads(answer.read())["ttft_ms"] > 0
            received = {listener.recv(512).decode().split(":")[0] for _ in range(2)}
            assert received == {"ollama_brain.canary_ttft", "ollama_brain.canary_tokens_per_second"}
    finally:
        listener.close()


def test_the_api_wait_reads_the_agent_s_verdict_in_the_same_call(brain, tmp_path):
    """ollama_model_wait's health_url, as the role passes the front door's /healthz: 503 until the canary got a
    token, 200 after, 0 when nothing answers; the wait itself never fails on it."""
    agent = make_agent(brain, tmp_path)
    host, port = agent.config["listen"]

    def health_status(url: str) -> int:
        result = run_module(ollama_model_wait, {"url": brain.url, "models": [MODEL], "timeout": 5, "health_url": url})
        assert not result.failed, result
        return result["health_status"]

    with served(agent):
        assert health_status(f"http://{host}:{port}/healthz") == 503
        agent.check_once()
        assert health_status(f"http://{host}:{port}/healthz") == 200
    assert health_status(f"http://{host}:{port}/healthz") == 0
