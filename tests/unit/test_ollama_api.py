"""module_utils/ollama_api.py over real HTTP to the double."""

from __future__ import annotations

import pytest
from ansible.module_utils.ollama_api import (
    OllamaClient,
    OllamaError,
    OllamaHTTPError,
    OllamaUnreachable,
    normalize_model_name,
)
from conftest import free_port


@pytest.mark.parametrize(("name", "expected"), [
    ("gemma3", "gemma3:latest"),
    ("gemma3:4b", "gemma3:4b"),
    ("library/gemma3:4b", "gemma3:4b"),
    ("registry.ollama.ai/library/gemma3", "gemma3:latest"),
    ("myteam/brain:v1", "myteam/brain:v1"),
    ("Gemma3:4B", "gemma3:4b"),
])
def test_normalize_model_name(name, expected):
    assert normalize_model_name(name) == expected


@pytest.mark.parametrize("name", ["", "bad name", "a/b/c/d", ":4b", "gemma3:"])
def test_normalize_rejects_invalid_names(name):
    with pytest.raises(ValueError, match="not a valid Ollama model name"):
        normalize_model_name(name)


def test_pull_reports_progress_and_success(double):
    seen = []
    last = OllamaClient(double.url).pull("gemma3:1b", on_progress=seen.append)
    assert last == {"status": "success"}
    assert any(item.get("completed") == item.get("total") == 815_319_791 for item in seen)


def test_pull_error_mid_stream_raises_with_server_text(double_factory):
    server = double_factory(OLLAMA_DOUBLE_FAIL_PULL_AFTER="100MB").start()
    with pytest.raises(OllamaHTTPError, match="unexpected EOF"):
        OllamaClient(server.url).pull("gemma3:1b")


def test_unknown_model_pull_is_an_error(double):
    with pytest.raises(OllamaHTTPError, match="file does not exist"):
        OllamaClient(double.url).pull("gemma9:4b")


def test_show_create_delete(double):
    api = OllamaClient(double.url)
    assert api.show("gemma3:1b") is None
    assert api.delete("gemma3:1b") is False
    api.pull("gemma3:1b")
    api.create("brain", "gemma3:1b", parameters={"num_ctx": 8192})
    assert "8192" in api.show("brain")["parameters"]
    assert api.delete("brain") is True
    assert api.model_names() == ["gemma3:1b"]


def test_unreachable_and_bad_url():
    with pytest.raises(OllamaUnreachable, match="did not answer"):
        OllamaClient(f"http://127.0.0.1:{free_port()}", timeout=2).tags()
    with pytest.raises(OllamaError, match="must be an http"):
        OllamaClient("127.0.0.1:11434")
