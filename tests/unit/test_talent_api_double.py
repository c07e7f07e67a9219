"""The stand-in backend over real HTTP: its contract, its use of Ollama, its fallback."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from conftest import SECRET, free_port
from talent_api_double import auth


def call(url: str, path: str, body: dict | None = None, token: str | None = None, timeout: float = 60) -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, headers=headers, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def test_health_says_healthy(stack):
    _, backend = stack
    assert call(backend.url, "/health") == (200, {"status": "healthy"})


def test_command_is_answered_by_ollama_with_the_backend_options(stack):
    double, backend = stack
    status, body = call(backend.url, "/api/ai/v3/command", {"command": "Say hello"}, auth.mint(SECRET))
    assert status == 200, body
    assert body["success"] is True
    assert body["source"] == "ollama"
    assert body["message"]
    (running,) = double.api("GET", "/api/ps")["models"]
    # No keep_alive sent: the server default (5 minutes in the double's test config) applies.
    assert running["name"] == "gemma3:1b"
    assert int(running["expires_at"][:4]) < 2200


@pytest.mark.parametrize(("token", "status"), [(None, 401), ("not.a.jwt", 403), (auth.mint("other-secret"), 403),
                                               (auth.mint(SECRET, ttl=-10), 403)])
def test_command_needs_a_valid_token(stack, token, status):
    _, backend = stack
    code, body = call(backend.url, "/api/ai/v3/command", {"command": "hi"}, token)
    assert code == status
    assert "detail" in body


def test_falls_back_when_ollama_is_down_and_says_so(stack):
    double, backend = stack
    double.stop()
    status, body = call(backend.url, "/api/ai/v3/command", {"command": "Say hello"}, auth.mint(SECRET))
    assert status == 200, body
    assert body["source"] == "gemini"
    assert body["data"]["fallback_reason"].startswith("ollama:")


def test_fails_500_when_both_providers_fail(double, procs):
    backend = procs([], {"AI_PROVIDER": "ollama", "AI_BASE_URL": double.url, "AI_MODEL_NAME": "gemma3:1b",
                         "SUPABASE_JWT_SECRET": SECRET, "GEMINI_BASE_URL": f"http://127.0.0.1:{free_port()}",
                         "GEMINI_API_KEY": "x"})
    status, body = call(backend.url, "/api/ai/v3/command", {"command": "hi"}, auth.mint(SECRET))
    assert status == 500
    assert "AI provider failed" in body["detail"]


def test_refuses_to_start_without_base_url(procs):
    backend = procs([], {"AI_PROVIDER": "ollama", "SUPABASE_JWT_SECRET": SECRET}, wait=False)
    assert backend.proc.wait(timeout=20) == 1
    assert "AI_BASE_URL is required" in backend.log.read_text()


def test_broken_build_fails_health(procs, double):
    backend = procs([], {"AI_PROVIDER": "ollama", "AI_BASE_URL": double.url, "SUPABASE_JWT_SECRET": SECRET,
                         "TALENT_API_DOUBLE_BROKEN": "1"})
    assert call(backend.url, "/health")[0] == 503
