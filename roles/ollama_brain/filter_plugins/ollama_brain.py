# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters the ollama_brain role uses to reason about model names before Ollama is there."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


def ollama_model_ref(name: str) -> dict:
    """'gemma3' -> {name: 'gemma3:latest', repository: 'library/gemma3', tag: 'latest'}."""
    text = str(name).strip()
    repo, tag = (text.rsplit(":", 1) if ":" in text.rsplit("/", 1)[-1] else (text, "latest"))
    parts = repo.split("/")
    if parts[0] == "registry.ollama.ai":
        parts = parts[1:]
    if len(parts) == 1:
        parts = ["library", *parts]
    if len(parts) != 2 or not all(_PART.match(p) for p in [*parts, tag]):
        raise AnsibleFilterError(f"{name!r} is not a valid Ollama model name; use model:tag such as gemma3:4b.")
    namespace, model = (p.lower() for p in parts)
    short = model if namespace == "library" else f"{namespace}/{model}"
    return {"name": f"{short}:{tag.lower()}", "repository": f"{namespace}/{model}", "tag": tag.lower()}


def ollama_memory_needs(names: list[str], weights: dict, kv_per_token: dict, context_length: int,
                        kv_factor: float, overhead_mb: int) -> dict:
    """MiB each model needs loaded: weights + KV cache for the context + graph; 0 when not known."""
    needs = {}
    for name in names:
        if not weights.get(name) or not kv_per_token.get(name):
            needs[name] = 0
            continue
        kv = kv_per_token[name] * int(context_length) * float(kv_factor)
        needs[name] = int((weights[name] + kv) // 1048576) + int(overhead_mb)
    return needs


class FilterModule:
    def filters(self):
        return {
            "ollama_model_ref": ollama_model_ref,
            "ollama_memory_needs": ollama_memory_needs,
        }
