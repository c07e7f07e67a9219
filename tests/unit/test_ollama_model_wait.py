"""ollama_model_wait over real HTTP to the double on loopback."""

from __future__ import annotations

import threading
import time

import ollama_model_wait
import pytest
from conftest import free_port, run_module


def wait(url: str, models: list[str], timeout: int = 5, **extra) -> dict:
    return run_module(ollama_model_wait, {"url": url, "models": models, "timeout": timeout,
                                          "interval": 0.2, "max_interval": 0.5, **extra})


def test_returns_at_once_when_model_is_listed(double):
    double.pull("gemma3:1b")
    result = wait(double.url, ["gemma3:1b"])
    assert not result.failed, result
    assert result["changed"] is False
    assert result["models_found"] == ["gemma3:1b"]
    assert result["models_missing"] == []
    assert result["attempts"] == 1


def test_waits_for_a_model_that_appears_mid_wait(double):
    pull = threading.Timer(1.0, double.pull, args=("gemma3:1b",))
    pull.start()
    try:
        result = wait(double.url, ["gemma3:1b"], timeout=15)
    finally:
        pull.join(30)
    assert not result.failed, result
    assert result["elapsed"] >= 0.9
    assert result["attempts"] > 1


def test_fails_with_what_was_seen_when_model_never_appears(double):
    double.pull("gemma3:1b")
    result = wait(double.url, ["gemma3:4b"], timeout=2)
    assert result.failed
    assert result["msg"] == (
        f"Ollama at {double.url} answered, but gemma3:4b is not in /api/tags after 2 s "
        "(seen: gemma3:1b). Pull it or check the model name."
    )
    assert result["models_missing"] == ["gemma3:4b"]
    assert result["models_seen"] == ["gemma3:1b"]
    assert result["elapsed"] >= 2


def test_keeps_retrying_until_a_late_server_starts(double_factory):
    server = double_factory().start()
    server.pull("gemma3:1b")
    server.stop()
    late = threading.Timer(1.0, server.start, kwargs={"wait": False})
    late.start()
    try:
        result = wait(server.url, ["gemma3:1b"], timeout=15)
    finally:
        late.join(5)
    assert not result.failed, result
    assert result["attempts"] > 1
    assert result["elapsed"] >= 1


def test_slow_start_fault_is_waited_out(double_factory):
    server = double_factory(OLLAMA_DOUBLE_START_DELAY="1.5").start(wait=False)
    result = wait(server.url, ["gemma3:1b"], timeout=10)
    assert result.failed
    assert "answered, but gemma3:1b is not in /api/tags" in result["msg"]
    assert result["attempts"] > 1


def test_connection_refused_until_timeout_says_what_to_check():
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = wait(url, ["gemma3:4b"], timeout=2)
    assert result.failed
    assert time.monotonic() - started >= 2
    assert result["msg"].startswith(f"Ollama at {url} did not answer within 2 s")
    assert "journalctl -u ollama" in result["msg"]


def test_server_errors_are_retried_then_succeed(double_factory):
    server = double_factory(OLLAMA_DOUBLE_TAGS_ERRORS="3").start()
    server.pull("gemma3:1b")
    result = wait(server.url, ["gemma3:1b"], timeout=10)
    assert not result.failed, result
    assert result["attempts"] == 4


def test_persistent_http_500_fails_with_status_and_error(double_factory):
    server = double_factory(OLLAMA_DOUBLE_TAGS_ERRORS="1000").start()
    result = wait(server.url, ["gemma3:1b"], timeout=2)
    assert result.failed
    assert "kept failing /api/tags for 2 s (HTTP 500: simulated failure" in result["msg"]


@pytest.mark.parametrize("bad_url", ["not a url", "ftp://10.0.0.1:11434", "http://"])
def test_bad_url_fails_immediately(bad_url):
    started = time.monotonic()
    result = wait(bad_url, ["gemma3:4b"], timeout=30)
    assert result.failed
    assert result["msg"].startswith("url must be an http(s) URL")
    assert time.monotonic() - started < 5


def test_invalid_model_name_fails_immediately(double):
    result = wait(double.url, ["gemma3:4b", "bad name!"], timeout=30)
    assert result.failed
    assert "'bad name!' is not a valid Ollama model name" in result["msg"]


@pytest.mark.parametrize(("pulled", "asked"), [
    ("gemma3", "gemma3:latest"),
    ("gemma3:latest", "gemma3"),
    ("gemma3:4b", "library/gemma3:4b"),
    ("gemma3:4b", "registry.ollama.ai/library/gemma3:4b"),
    ("gemma3:4b", "GEMMA3:4B"),
])
def test_names_are_normalised_like_ollama(double, pulled, asked):
    double.pull(pulled)
    result = wait(double.url, [asked])
    assert not result.failed, result


def test_latest_does_not_match_a_specific_tag(double):
    double.pull("gemma3:1b")
    result = wait(double.url, ["gemma3"], timeout=1)
    assert result.failed
    assert result["models_missing"] == ["gemma3:latest"]


def test_runs_in_check_mode(double):
    double.pull("gemma3:1b")
    result = run_module(ollama_model_wait, {"url": double.url, "models": ["gemma3:1b"], "timeout": 5},
                        check_mode=True)
    assert not result.failed, result
    assert result["changed"] is False


def test_header_values_are_not_echoed(double):
    double.pull("gemma3:1b")
    result = wait(double.url, ["gemma3:1b"], headers={"Authorization": "Bearer s3cr3t-token"})
    assert not result.failed, result
    assert "s3cr3t-token" not in repr(result)


def test_backoff_grows_the_interval_up_to_the_cap():
    clock = [0.0]
    sleeps: list[float] = []

    class NeverListed:
        def model_names(self):
            return []

    def sleep(seconds):
        sleeps.append(round(seconds, 3))
        clock[0] += seconds

    ollama_model_wait._wait(NeverListed(), ["gemma3:4b"], timeout=20, interval=1, backoff=2,
                            max_interval=5, clock=lambda: clock[0], sleep=sleep)
    assert sleeps[:5] == [1, 2, 4, 5, 5]
    assert sum(sleeps) == pytest.approx(20)


def test_no_models_waits_only_for_the_api(double):
    result = wait(double.url, [])
    assert not result.failed, result
    assert result["answered"] is True and result["attempts"] == 1


def test_no_models_and_no_server_fails_saying_so():
    url = f"http://127.0.0.1:{free_port()}"
    result = wait(url, [], timeout=1)
    assert result.failed
    assert result["answered"] is False
    assert result["msg"].startswith(f"Ollama at {url} did not answer within 1 s")


def test_reports_the_server_version_once_it_answered(double):
    result = wait(double.url, [])
    assert result["version"]
