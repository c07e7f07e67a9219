"""ollama_warmup over real HTTP to the double on loopback."""

from __future__ import annotations

import ollama_warmup
import pytest
from conftest import free_port, run_module

BACKEND_OPTIONS = {"temperature": 0.7, "num_predict": 2048, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}


def warmup(url: str, check_mode: bool = False, **extra) -> dict:
    args = {"url": url, "models": ["gemma3:1b"], "timeout": 60, **extra}
    return run_module(ollama_warmup, args, check_mode=check_mode)


def ps(double) -> list[dict]:
    return double.api("GET", "/api/ps")["models"]


def test_loads_forever_and_then_reports_no_change(double):
    double.pull("gemma3:1b")
    first = warmup(double.url, options=BACKEND_OPTIONS)
    second = warmup(double.url, options=BACKEND_OPTIONS)
    assert not first.failed, first
    assert first["changed"] is True
    assert first["loaded"][0]["reason"] == "not loaded"
    assert first["loaded"][0]["load_seconds"] >= 0
    assert second["changed"] is False, second
    (running,) = ps(double)
    assert int(running["expires_at"][:4]) > 2200


def test_check_mode_reports_the_load_without_loading(double):
    double.pull("gemma3:1b")
    result = warmup(double.url, check_mode=True)
    assert result["changed"] is True
    assert ps(double) == []


def test_a_model_left_with_a_finite_keep_alive_is_reloaded_forever(double):
    # What the manual plan's `ollama run --keepalive 24h` leaves behind.
    double.pull("gemma3:1b")
    double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "", "keep_alive": "24h"})
    result = warmup(double.url)
    assert result["changed"] is True
    assert "instead of forever" in result["loaded"][0]["reason"]
    assert int(ps(double)[0]["expires_at"][:4]) > 2200


def test_a_model_loaded_with_another_context_length_is_reloaded(double):
    double.pull("gemma3:1b")
    double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "", "keep_alive": -1,
                                         "options": {"num_ctx": 2048}})
    result = warmup(double.url, context_length=4096, options={"num_ctx": 4096})
    assert result["changed"] is True, result
    assert "context length 2048" in result["loaded"][0]["reason"]
    assert ps(double)[0]["context_length"] == 4096


@pytest.mark.parametrize("keep_alive", ["-1", "-1m"])
def test_negative_keep_alive_means_forever(double, keep_alive):
    double.pull("gemma3:1b")
    assert warmup(double.url, keep_alive=keep_alive)["changed"] is True
    assert warmup(double.url, keep_alive=keep_alive)["changed"] is False


def test_missing_model_fails_naming_it(double):
    result = warmup(double.url)
    assert result.failed
    assert "gemma3:1b" in result["msg"]


def test_model_that_does_not_stay_loaded_fails(double_factory):
    # One model slot and two models: the second evicts the first.
    server = double_factory(OLLAMA_MAX_LOADED_MODELS="1").start()
    server.pull("gemma3:1b")
    server.pull("gemma2:2b")
    result = warmup(server.url, models=["gemma3:1b", "gemma2:2b"])
    assert result.failed
    assert "OLLAMA_MAX_LOADED_MODELS" in result["msg"]


def test_unreachable_server_fails_with_the_url():
    url = f"http://127.0.0.1:{free_port()}"
    result = warmup(url)
    assert result.failed
    assert url in result["msg"]


# The brain role skips this module when the API wait's /api/ps says every warm
# model is loaded as wanted: that filter must decide as the module does.
@pytest.mark.parametrize(("load", "wanted"), [
    (None, {}),
    ({"keep_alive": "24h"}, {}),
    ({"keep_alive": -1, "options": {"num_ctx": 2048}}, {"context_length": 4096}),
    ({"keep_alive": -1, "options": {"num_ctx": 4096}}, {"context_length": 4096}),
    ({"keep_alive": -1}, {}),
])
def test_the_roles_skip_filter_decides_as_the_module_does(double, load, wanted):
    import ollama_model_wait
    from test_model_refs import filters

    double.pull("gemma3:1b")
    if load is not None:
        double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "", **load})
    running = run_module(ollama_model_wait, {"url": double.url, "models": [], "timeout": 5})["running"]
    to_warm = filters.ollama_models_to_warm(running, ["gemma3:1b"], "-1", wanted.get("context_length"))
    result = warmup(double.url, check_mode=True, **wanted)
    assert sorted(to_warm) == [m["name"] for m in result["loaded"]]
    assert list(to_warm.values()) == [m["reason"] for m in result["loaded"]]
