"""http_probe over real HTTP to the double and the stand-in backend on loopback."""

from __future__ import annotations

import json

import http_probe
from conftest import SECRET, free_port, run_module
from talent_api_double import auth


def test_reports_each_answer_and_a_refused_connection(double):
    closed = f"http://127.0.0.1:{free_port()}/health"
    result = run_module(http_probe, {"probes": [{"name": "tags", "url": f"{double.url}/api/tags"},
                                                {"name": "missing", "url": f"{double.url}/no/such/path"},
                                                {"name": "closed", "url": closed, "timeout": 2}]})
    assert not result.failed, result
    answers = result["answers"]
    assert answers["tags"]["status"] == 200
    assert answers["tags"]["json"] == {"models": []}
    assert answers["missing"]["status"] == 404
    assert answers["closed"]["status"] == -1
    assert answers["closed"]["elapsed"] < 2
    assert result["changed"] is False


def test_a_probe_with_a_body_posts_it_as_a_client_would(double_factory):
    server = double_factory(OLLAMA_NO_CLOUD="1").start()
    ask = {"model": "gpt-oss:120b-cloud", "messages": [{"role": "user", "content": "hi"}], "stream": False}
    result = run_module(http_probe, {"probes": [{"name": "cloud", "url": f"{server.url}/api/chat", "body": ask}]})
    assert not result.failed, result
    assert result["answers"]["cloud"]["status"] == 403
    assert result["answers"]["cloud"]["json"] == {"error": "ollama cloud is disabled: remote model is unavailable"}


def test_names_must_be_unique(double):
    result = run_module(http_probe, {"probes": [{"name": "a", "url": double.url}, {"name": "a", "url": double.url}]})
    assert result.failed
    assert "unique" in result["msg"]


def test_asks_everything_in_one_call_and_the_token_never_shows(stack):
    double, backend = stack
    token = auth.mint(SECRET, ttl=600)
    result = run_module(http_probe, {
        "probes": [{"name": "tags", "url": f"{double.url}/api/tags"}, {"name": "health", "url": f"{backend.url}/health"}],
        "chat_latency": {"url": double.url, "model": "gemma3:1b", "requests": 1, "options": {"num_predict": 16}},
        "backend_command": {"url": backend.url, "command": "Say hello.", "token": token},
    }, check_mode=True)
    assert not result.failed, result
    assert [m["name"] for m in result["answers"]["tags"]["json"]["models"]] == ["gemma3:1b"]
    assert result["answers"]["health"]["status"] == 200
    assert len(result["latency"]["samples"]) == 1 and "msg" not in result["latency"]
    assert (result["backend"]["status"], result["backend"]["source"]) == (200, "ollama")
    assert token not in json.dumps(result)


def test_parts_not_asked_for_are_not_returned(double):
    result = run_module(http_probe, {"probes": [{"name": "tags", "url": f"{double.url}/api/tags"}]})
    assert "latency" not in result and "backend" not in result
