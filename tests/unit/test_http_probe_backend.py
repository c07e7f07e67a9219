"""http_probe's backend_command over real HTTP to the stand-in backend on loopback.

Status, source, milliseconds, and no token leak.
"""

from __future__ import annotations

import json

import http_probe
from conftest import SECRET, free_port, run_module
from talent_api_double import auth

COMMAND = "Say hello in five words."


def ask(url: str, token: str, check_mode: bool = False, **extra) -> dict:
    result = run_module(http_probe, {"backend_command": {"url": url, "command": COMMAND, "token": token,
                                                         "timeout": 60, **extra}}, check_mode=check_mode)
    assert token not in json.dumps(result)
    return result if result.failed else {**result["backend"], "changed": result["changed"]}


def test_answer_by_ollama_is_timed_in_milliseconds(stack):
    _, backend = stack
    result = ask(backend.url, auth.mint(SECRET, ttl=600))
    assert (result["status"], result["source"], result["detail"], result["msg"]) == (200, "ollama", "", ""), result
    assert result["changed"] is False
    # A real request takes some milliseconds; a value rounded to whole seconds would be 0 here.
    assert 0 < result["elapsed_ms"] < 60_000
    assert result["elapsed_ms"] != round(result["elapsed_ms"] / 1000) * 1000


def test_runs_in_check_mode(stack):
    _, backend = stack
    result = ask(backend.url, auth.mint(SECRET, ttl=600), check_mode=True)
    assert (result["status"], result["source"]) == (200, "ollama"), result


def test_bad_token_is_a_result_not_a_failure_and_is_never_printed(stack):
    _, backend = stack
    token = "not-a-valid-jwt-" + "x" * 20
    result = ask(backend.url, token)
    assert result["status"] in (401, 403) and result["source"] == "none"
    assert result["detail"]


def test_no_answer_is_reported_naming_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    result = ask(url, "token-value-never-printed")
    assert result["status"] == -1 and result["source"] == "none"
    assert url in result["msg"] and "did not answer /api/ai/v3/command" in result["msg"]


def test_timeout_must_be_positive(stack):
    _, backend = stack
    result = ask(backend.url, "a-token-of-some-length", timeout=0)
    assert result.failed and "timeout is 0.0" in result["msg"]
