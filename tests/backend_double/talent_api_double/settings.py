"""The backend's environment, read and validated as the real one does at startup."""

from __future__ import annotations

import os
from dataclasses import dataclass


class ConfigError(Exception):
    """A setting the backend cannot start with."""


@dataclass(frozen=True)
class Settings:
    provider: str
    base_url: str
    model: str
    temperature: float
    timeout: float
    jwt_secret: str
    fallback_url: str
    fallback_key: str
    fallback_model: str
    broken: bool

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        provider = env.get("AI_PROVIDER", "gemini").strip().lower()
        if provider not in ("ollama", "gemini"):
            raise ConfigError(f"AI_PROVIDER={provider!r} is not one of ollama, gemini")
        base_url = env.get("AI_BASE_URL", "").strip().rstrip("/")
        if provider == "ollama" and not base_url:
            raise ConfigError("AI_BASE_URL is required when AI_PROVIDER=ollama")
        try:
            temperature = float(env.get("AI_TEMPERATURE", "0.7"))
            timeout = float(env.get("AI_TIMEOUT", "30"))
        except ValueError as exc:
            raise ConfigError(f"AI_TEMPERATURE and AI_TIMEOUT must be numbers: {exc}") from None
        secret = env.get("SUPABASE_JWT_SECRET", "")
        if not secret:
            raise ConfigError("SUPABASE_JWT_SECRET is required to check bearer tokens")
        return cls(
            provider=provider,
            base_url=base_url,
            model=env.get("AI_MODEL_NAME", "gemma3:4b"),
            temperature=temperature,
            timeout=timeout,
            jwt_secret=secret,
            fallback_url=env.get("GEMINI_BASE_URL", "https://generativelanguage.googleapis.com").rstrip("/"),
            fallback_key=env.get("GEMINI_API_KEY", ""),
            fallback_model=env.get("GEMINI_MODEL", "gemini-2.0-flash"),
            broken=env.get("TALENT_API_DOUBLE_BROKEN", "") == "1",
        )
