"""Model names as Ollama parses them: [host/][namespace/]model[:tag]."""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


class InvalidName(ValueError):
    pass


@dataclass(frozen=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str

    @classmethod
    def parse(cls, text: str) -> ModelName:
        raw = (text or "").strip()
        rest, tag = raw, DEFAULT_TAG
        if ":" in raw.rsplit("/", 1)[-1]:
            rest, tag = raw.rsplit(":", 1)
        parts = rest.split("/")
        if len(parts) == 1:
            host, namespace, model = DEFAULT_HOST, DEFAULT_NAMESPACE, parts[0]
        elif len(parts) == 2:
            host, namespace, model = DEFAULT_HOST, parts[0], parts[1]
        elif len(parts) == 3:
            host, namespace, model = parts
        else:
            raise InvalidName("invalid model name")
        for part in (namespace, model, tag):
            if not _PART.fullmatch(part):
                raise InvalidName("invalid model name")
        return cls(host.lower(), namespace.lower(), model.lower(), tag.lower())

    @property
    def display(self) -> str:
        """The name /api/tags shows: short for the default registry, always with a tag."""
        if self.host == DEFAULT_HOST and self.namespace == DEFAULT_NAMESPACE:
            return f"{self.model}:{self.tag}"
        if self.host == DEFAULT_HOST:
            return f"{self.namespace}/{self.model}:{self.tag}"
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def is_cloud(self) -> bool:
        """A cloud model (gpt-oss:120b-cloud, minimax-m2.7:cloud): served through this API, run on ollama.com."""
        return self.tag == "cloud" or self.tag.endswith("-cloud")

    @property
    def catalog_key(self) -> str:
        return f"{self.namespace}/{self.model}:{self.tag}"

    def manifest_relpath(self) -> str:
        return f"manifests/{self.host}/{self.namespace}/{self.model}/{self.tag}"
