"""Versions the project pins, read from the one place each is set, so tests never carry a copy."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def ollama_default_version() -> str:
    """The Ollama release the brain role installs by default (roles/ollama_brain/defaults/main.yml)."""
    defaults = yaml.safe_load((ROOT / "roles" / "ollama_brain" / "defaults" / "main.yml").read_text())
    return str(defaults["ollama_brain_version"])


OLLAMA_DEFAULT = ollama_default_version()
