"""The registry the double pulls from: real model names with their real sizes.

Sizes are those the public Ollama library lists for the Q4_K_M builds. Blob
bytes on disk are scaled down (see Settings.blob_scale); manifests, /api/tags
and pull progress report these real sizes.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024**3


@dataclass(frozen=True)
class CatalogModel:
    family: str
    parameter_size: str
    size: int  # bytes of the weights layer, as the registry reports it
    kv_bytes_per_token: int  # f16 KV cache per context token
    context_length: int
    vision: bool = False
    quantization_level: str = "Q4_K_M"


_MODELS: dict[str, CatalogModel] = {
    "library/gemma3:1b": CatalogModel("gemma3", "999.89M", 815_319_791, 26_624, 32_768),
    "library/gemma3:4b": CatalogModel("gemma3", "4.3B", 3_338_801_804, 139_264, 131_072, vision=True),
    "library/gemma3:12b": CatalogModel("gemma3", "12.2B", 8_149_190_253, 393_216, 131_072, vision=True),
    "library/gemma2:2b": CatalogModel("gemma2", "2.6B", 1_629_518_495, 106_496, 8_192),
    "library/gemma2:9b": CatalogModel("gemma2", "9.2B", 5_443_152_417, 344_064, 8_192),
    "library/llama3.1:8b": CatalogModel("llama", "8.0B", 4_920_753_328, 131_072, 131_072),
}

# The registry's "latest" tags point at these builds.
_ALIASES = {
    "library/gemma3:latest": "library/gemma3:4b",
    "library/gemma2:latest": "library/gemma2:9b",
    "library/llama3.1:latest": "library/llama3.1:8b",
}


def names() -> list[str]:
    """Every 'namespace/model:tag' the registry answers for, aliases included."""
    return sorted([*_MODELS, *_ALIASES])


def lookup(repository_and_tag: str) -> CatalogModel | None:
    """Return the catalog entry for 'namespace/model:tag', or None when unknown."""
    key = _ALIASES.get(repository_and_tag, repository_and_tag)
    return _MODELS.get(key)
