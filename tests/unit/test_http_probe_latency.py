"""http_probe's chat_latency over real HTTP to the double on loopback."""

from __future__ import annotations

import http_probe
from conftest import free_port, run_module

BACKEND_OPTIONS = {"temperature": 0.7, "num_predict": 64, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}


def latency(url: str, **extra) -> dict:
    result = run_module(http_probe, {"chat_latency": {"url": url, "model": "gemma3:1b", "timeout": 60, **extra}})
    if result.failed:
        return result
    assert result["changed"] is False
    return result["latency"]


def test_measures_each_request_and_changes_nothing(double):
    double.pull("gemma3:1b")
    result = latency(double.url, requests=3, options=BACKEND_OPTIONS)
    assert "msg" not in result, result
    assert len(result["samples"]) == 3
    for sample in result["samples"]:
        assert 0 < sample["ttft"] <= sample["total"]
        assert 0 < sample["eval_count"] <= 64
        assert sample["tokens_per_second"] > 0
    assert result["summary"]["ttft_median"] <= result["summary"]["ttft_max"]


def test_first_request_shows_the_cold_load_and_later_ones_do_not(double):
    double.pull("gemma3:1b")
    samples = latency(double.url, requests=2, options=BACKEND_OPTIONS)["samples"]
    assert samples[0]["load"] > samples[1]["load"]


def test_sends_no_keep_alive_unless_asked(double):
    double.pull("gemma3:1b")
    latency(double.url, requests=1)
    (running,) = double.api("GET", "/api/ps")["models"]
    assert int(running["expires_at"][:4]) < 2200
    latency(double.url, requests=1, keep_alive="-1")
    (running,) = double.api("GET", "/api/ps")["models"]
    assert int(running["expires_at"][:4]) > 2200


def test_missing_model_is_reported_naming_it(double):
    result = latency(double.url)
    assert result["samples"] == [] and result["summary"] == {}
    assert "gemma3:1b" in result["msg"] and "after 0 request(s)" in result["msg"]


def test_unreachable_server_is_reported_with_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    result = latency(url)
    assert url in result["msg"] and result["samples"] == []


def test_zero_requests_is_refused(double):
    result = latency(double.url, requests=0)
    assert result.failed and "at least 1" in result["msg"]
