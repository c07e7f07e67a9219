"""The two providers the backend can answer from: Ollama (primary) and Gemini (fallback)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .settings import Settings

# The backend's fixed generation options (its ChatOllama client's settings).
BACKEND_OPTIONS = {"num_predict": 2048, "top_k": 40, "top_p": 0.9, "repeat_penalty": 1.1}


class ProviderError(Exception):
    pass


def ask_ollama(settings: Settings, command: str) -> str:
    # Imported here so /health answers even while the heavy import is warming up.
    from langchain_ollama import ChatOllama

    # Built as the real backend builds it. `timeout=` alone is not a ChatOllama
    # field in langchain-ollama 1.x (it is dropped silently), so the HTTP
    # timeout is also given to the underlying httpx client: AI_TIMEOUT must bite.
    client = ChatOllama(base_url=settings.base_url, model=settings.model, temperature=settings.temperature,
                        timeout=settings.timeout, client_kwargs={"timeout": settings.timeout}, **BACKEND_OPTIONS)
    try:
        answer = client.invoke([("human", command)])
    except Exception as exc:  # any transport or server failure sends the request to the fallback
        raise ProviderError(f"ollama: {type(exc).__name__}: {exc}") from None
    return str(answer.content)


def ask_gemini(settings: Settings, command: str) -> str:
    if not settings.fallback_key:
        raise ProviderError("gemini: GEMINI_API_KEY is not set")
    url = f"{settings.fallback_url}/v1beta/models/{settings.fallback_model}:generateContent"
    body = json.dumps({"contents": [{"role": "user", "parts": [{"text": command}]}],
                       "generationConfig": {"temperature": settings.temperature}}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "x-goog-api-key": settings.fallback_key})
    try:
        with urllib.request.urlopen(request, timeout=settings.timeout) as response:
            answer = json.load(response)
        return answer["candidates"][0]["content"]["parts"][0]["text"]
    except (OSError, urllib.error.URLError, KeyError, IndexError, ValueError) as exc:
        raise ProviderError(f"gemini: {type(exc).__name__}: {exc}") from None


def answer(settings: Settings, command: str) -> tuple[str, str, str | None]:
    """(text, provider that answered, why the primary was skipped)."""
    if settings.provider == "ollama":
        try:
            return ask_ollama(settings, command), "ollama", None
        except ProviderError as exc:
            return ask_gemini(settings, command), "gemini", str(exc)
    return ask_gemini(settings, command), "gemini", None
