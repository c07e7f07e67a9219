"""ollama_model over real HTTP to the double on loopback."""

from __future__ import annotations

import ollama_model
from conftest import free_port, run_module


def model(url: str, name: str, check_mode: bool = False, **extra) -> dict:
    return run_module(ollama_model, {"url": url, "name": name, "timeout": 60, **extra}, check_mode=check_mode)


def listed(double) -> list[str]:
    return [m["name"] for m in double.api("GET", "/api/tags")["models"]]


def test_pulls_a_missing_model_and_reports_bytes(double):
    result = model(double.url, "gemma3:1b")
    assert not result.failed, result
    assert result["changed"] is True
    assert result["action"] == "pulled"
    assert result["bytes"] > 0
    assert result["resumed"] == 0
    assert "gemma3:1b" in listed(double)


def test_present_model_is_not_pulled_again(double):
    double.pull("gemma3:1b")
    result = model(double.url, "gemma3:1b")
    assert not result.failed, result
    assert result["changed"] is False
    assert result["action"] == "none"
    assert "bytes" not in result


def test_name_without_tag_means_latest(double):
    result = model(double.url, "gemma3")
    assert not result.failed, result
    assert result["name"] == "gemma3:latest"
    assert "gemma3:latest" in listed(double)


def test_check_mode_reports_a_pull_without_pulling(double):
    result = model(double.url, "gemma3:1b", check_mode=True)
    assert not result.failed, result
    assert result["changed"] is True
    assert result["action"] == "pulled"
    assert listed(double) == []


def test_unknown_model_fails_with_a_sentence_naming_it(double):
    result = model(double.url, "gemma3:5b")
    assert result.failed
    assert "gemma3:5b does not exist in the registry" in result["msg"]
    assert listed(double) == []


def test_interrupted_pull_is_resumed(double_factory):
    # The double drops the connection once after 100 MB, as a flaky network would.
    server = double_factory(OLLAMA_DOUBLE_FAIL_PULL_AFTER="100MB", OLLAMA_DOUBLE_FAIL_PULL_TIMES="1").start()
    result = model(server.url, "gemma3:1b")
    assert not result.failed, result
    assert result["changed"] is True
    assert result["resumed"] == 1
    assert "gemma3:1b" in listed(server)


def test_pull_that_keeps_failing_gives_up_after_retries(double_factory):
    server = double_factory(OLLAMA_DOUBLE_FAIL_PULL_AFTER="100MB", OLLAMA_DOUBLE_FAIL_PULL_TIMES="10").start()
    result = model(server.url, "gemma3:1b", retries=1)
    assert result.failed
    assert "failed after 1 resumed attempt(s)" in result["msg"]
    assert "gemma3:1b" not in listed(server)


def test_absent_deletes_and_then_is_a_no_op(double):
    double.pull("gemma3:1b")
    first = model(double.url, "gemma3:1b", state="absent")
    second = model(double.url, "gemma3:1b", state="absent")
    assert (first["changed"], first["action"]) == (True, "deleted")
    assert (second["changed"], second["action"]) == (False, "none")
    assert listed(double) == []


def test_absent_in_check_mode_keeps_the_model(double):
    double.pull("gemma3:1b")
    result = model(double.url, "gemma3:1b", state="absent", check_mode=True)
    assert result["changed"] is True
    assert "gemma3:1b" in listed(double)


def test_derived_model_is_created_once_and_recreated_on_change(double):
    double.pull("gemma3:1b")
    args = {"from": "gemma3:1b", "parameters": {"num_ctx": 8192, "num_thread": 2}}
    first = model(double.url, "brain-8k:1b", **args)
    again = model(double.url, "brain-8k:1b", **args)
    changed = model(double.url, "brain-8k:1b", **{"from": "gemma3:1b", "parameters": {"num_ctx": 4096, "num_thread": 2}})
    assert not first.failed, first
    assert (first["changed"], first["action"]) == (True, "created")
    assert again["changed"] is False, again
    assert changed["changed"] is True
    shown = double.api("POST", "/api/show", {"model": "brain-8k:1b"})
    assert "num_ctx" in shown["parameters"] and "4096" in shown["parameters"]


def test_derived_model_system_prompt_change_is_detected(double):
    double.pull("gemma3:1b")
    args = {"from": "gemma3:1b", "parameters": {"num_ctx": 4096}}
    model(double.url, "assistant:1b", system="You answer briefly.", **args)
    same = model(double.url, "assistant:1b", system="You answer briefly.", **args)
    other = model(double.url, "assistant:1b", system="You answer at length.", check_mode=True, **args)
    assert same["changed"] is False, same
    assert other["changed"] is True


def test_derived_model_without_its_parent_fails_clearly(double):
    result = model(double.url, "brain-8k:1b", **{"from": "gemma3:1b", "parameters": {"num_ctx": 8192}})
    assert result.failed
    assert "its parent gemma3:1b is not on the server; pull it first" in result["msg"]


def test_unreachable_server_fails_with_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    result = model(url, "gemma3:1b")
    assert result.failed
    assert url in result["msg"]


def test_invalid_name_fails_before_any_request(double):
    result = model(double.url, "Gemma 3!")
    assert result.failed
    assert "Gemma 3!" in result["msg"]
