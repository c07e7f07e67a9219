"""Models on disk in Ollama's layout (manifests/ and blobs/ under OLLAMA_MODELS), and pulls.

Weight blobs hold deterministic bytes scaled down by Settings.blob_scale, while
manifests carry the real layer sizes, so sizes look real and disks stay small.
A pull writes `<blob>-partial` first and resumes from it; digests are verified.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import catalog
from .names import ModelName
from .settings import Settings

MEDIA_MODEL = "application/vnd.ollama.image.model"
MEDIA_TEMPLATE = "application/vnd.ollama.image.template"
MEDIA_PARAMS = "application/vnd.ollama.image.params"
MEDIA_SYSTEM = "application/vnd.ollama.image.system"
MEDIA_CONFIG = "application/vnd.docker.container.image.v1+json"

_TEMPLATES = {
    "gemma3": "{{- range .Messages }}<start_of_turn>{{ .Role }}\n{{ .Content }}<end_of_turn>\n{{ end }}<start_of_turn>model\n",
    "gemma2": "<start_of_turn>user\n{{ .Prompt }}<end_of_turn>\n<start_of_turn>model\n",
    "llama": "<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>",
}
_DEFAULT_PARAMS = {
    "gemma3": {"stop": ["<end_of_turn>"], "top_k": 64, "top_p": 0.95, "temperature": 1},
    "gemma2": {"stop": ["<start_of_turn>", "<end_of_turn>"]},
    "llama": {"stop": ["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"]},
}


class StoreError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PullInterrupted(StoreError):
    pass


@dataclass
class LocalModel:
    name: ModelName
    manifest: dict[str, Any]
    digest: str
    modified_at: datetime
    config: dict[str, Any]
    params: dict[str, Any]
    system: str
    template: str

    @property
    def size(self) -> int:
        return sum(layer["size"] for layer in self.manifest["layers"])

    @property
    def weights_size(self) -> int:
        return sum(layer["size"] for layer in self.manifest["layers"] if layer["mediaType"] == MEDIA_MODEL)

    @property
    def details(self) -> dict[str, Any]:
        return {
            "parent_model": self.config.get("parent_model", ""),
            "format": "gguf",
            "family": self.config["model_family"],
            "families": [self.config["model_family"]],
            "parameter_size": self.config["model_type"],
            "quantization_level": self.config["file_type"],
        }


def _iso(ts: datetime) -> str:
    return ts.astimezone().isoformat()


def _deterministic_bytes(seed: str, length: int) -> bytes:
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < length:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:length])


class ModelStore:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.models_dir
        self.blobs = self.root / "blobs"
        self.manifests = self.root / "manifests"
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._pulls_failed = 0
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.manifests.mkdir(parents=True, exist_ok=True)

    # ----- reading -------------------------------------------------------
    def blob_path(self, digest: str) -> Path:
        return self.blobs / digest.replace(":", "-")

    def _read_blob_json(self, digest: str) -> dict[str, Any]:
        return json.loads(self.blob_path(digest).read_text())

    def get(self, name: ModelName) -> LocalModel | None:
        path = self.root / name.manifest_relpath()
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        manifest = json.loads(raw)
        params: dict[str, Any] = {}
        system = template = ""
        for layer in manifest["layers"]:
            if layer["mediaType"] == MEDIA_PARAMS:
                params = self._read_blob_json(layer["digest"])
            elif layer["mediaType"] == MEDIA_SYSTEM:
                system = self.blob_path(layer["digest"]).read_text()
            elif layer["mediaType"] == MEDIA_TEMPLATE:
                template = self.blob_path(layer["digest"]).read_text()
        return LocalModel(
            name=name,
            manifest=manifest,
            digest=hashlib.sha256(raw).hexdigest(),
            modified_at=datetime.fromtimestamp(path.stat().st_mtime, tz=UTC),
            config=self._read_blob_json(manifest["config"]["digest"]),
            params=params,
            system=system,
            template=template,
        )

    def list(self) -> list[LocalModel]:
        found = []
        for path in sorted(self.manifests.glob("*/*/*/*")):
            host, namespace, model, tag = path.relative_to(self.manifests).parts
            local = self.get(ModelName(host, namespace, model, tag))
            if local is not None:
                found.append(local)
        return sorted(found, key=lambda m: m.modified_at, reverse=True)

    def _referenced_digests(self) -> set[str]:
        refs = set()
        for local in self.list():
            refs.add(local.manifest["config"]["digest"])
            refs.update(layer["digest"] for layer in local.manifest["layers"])
        return refs

    def prune(self) -> None:
        """What `ollama serve` does at start unless OLLAMA_NOPRUNE: drop partials and unused blobs."""
        refs = {d.replace(":", "-") for d in self._referenced_digests()}
        for path in self.blobs.iterdir():
            if path.name.endswith("-partial") or path.name not in refs:
                path.unlink(missing_ok=True)

    # ----- writing -------------------------------------------------------
    def _write_blob(self, data: bytes) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        path = self.blob_path(digest)
        if not path.exists():
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return {"digest": digest, "size": len(data)}

    def _write_manifest(self, name: ModelName, config: dict[str, Any], layers: list[dict[str, Any]]) -> None:
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {"mediaType": MEDIA_CONFIG, **config},
            "layers": layers,
        }
        path = self.root / name.manifest_relpath()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(manifest))
        tmp.replace(path)

    def delete(self, name: ModelName) -> None:
        path = self.root / name.manifest_relpath()
        if not path.exists():
            raise StoreError(404, f"model '{name.display}' not found")
        path.unlink()
        if not self.settings.noprune:
            refs = {d.replace(":", "-") for d in self._referenced_digests()}
            for blob in self.blobs.iterdir():
                if blob.name not in refs:
                    blob.unlink(missing_ok=True)

    # ----- pull ------------------------------------------------------------
    def _lock_for(self, key: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(key, threading.Lock())

    def _registry_layers(self, entry: catalog.CatalogModel) -> list[tuple[str, bytes, int]]:
        return registry_layers(entry, self.settings.blob_scale)

    def pull(self, name: ModelName, cancelled: Callable[[], bool] = lambda: False) -> Iterator[dict[str, Any]]:
        """Yield progress dicts like /api/pull; raise StoreError on failure (partials stay)."""
        yield {"status": "pulling manifest"}
        entry = catalog.lookup(name.catalog_key) if name.host == "registry.ollama.ai" else None
        if entry is None:
            raise StoreError(500, "pull model manifest: file does not exist")
        budget = self.settings.fail_pull_after_bytes
        if budget >= 0:
            with self._locks_guard:
                if self._pulls_failed >= self.settings.fail_pull_times:
                    budget = -1
        layers = []
        for media, data, reported in self._registry_layers(entry):
            digest = "sha256:" + hashlib.sha256(data).hexdigest()
            reported = len(data) if reported < 0 else reported
            scale = reported / len(data)
            short = f"pulling {digest[7:19]}"
            with self._lock_for(digest):
                final = self.blob_path(digest)
                partial = final.with_name(final.name + "-partial")
                have = final.stat().st_size if final.exists() else (partial.stat().st_size if partial.exists() else 0)
                if have == 0:
                    yield {"status": short, "digest": digest, "total": reported}
                if not final.exists():
                    for progress in self._download(partial, data, have, scale, budget, cancelled):
                        if progress < 0:
                            with self._locks_guard:
                                self._pulls_failed += 1
                            raise PullInterrupted(500, f"max retries exceeded: unexpected EOF while pulling {digest}")
                        budget = budget - int(progress * scale) if budget >= 0 else budget
                        yield {"status": short, "digest": digest, "total": reported,
                               "completed": int(partial.stat().st_size * scale)}
                    if hashlib.sha256(partial.read_bytes()).hexdigest() != digest[7:]:
                        partial.unlink()
                        raise StoreError(500, f"digest mismatch, file must be downloaded again: want {digest}")
                    partial.replace(final)
                yield {"status": short, "digest": digest, "total": reported, "completed": reported}
            layers.append({"mediaType": media, "digest": digest, "size": reported})
        yield {"status": "verifying sha256 digest"}
        config = self._write_blob(config_bytes(entry))
        yield {"status": "writing manifest"}
        self._write_manifest(name, config, layers)
        yield {"status": "success"}

    def _download(self, partial: Path, data: bytes, have: int, scale: float, budget: int,
                  cancelled: Callable[[], bool]) -> Iterator[int]:
        """Append data[have:] to partial at the configured bandwidth; yield bytes written, -1 on injected fault."""
        step_seconds = 0.1
        chunk = max(1, int(self.settings.pull_bandwidth * step_seconds / scale))
        with open(partial, "ab") as out:
            while have < len(data):
                if cancelled():
                    return
                piece = data[have:have + chunk]
                if budget >= 0 and int(len(piece) * scale) > budget:
                    piece = piece[: max(0, int(budget / scale))]
                    out.write(piece)
                    out.flush()
                    os.fsync(out.fileno())
                    yield -1
                    return
                out.write(piece)
                out.flush()
                have += len(piece)
                time.sleep(min(step_seconds, len(piece) * scale / self.settings.pull_bandwidth))
                yield len(piece)

    # ----- create ----------------------------------------------------------
    def create(self, name: ModelName, source: LocalModel, parameters: dict[str, Any],
               system: str | None) -> Iterator[dict[str, Any]]:
        yield {"status": "parsing modelfile"}
        layers = []
        for layer in source.manifest["layers"]:
            if layer["mediaType"] in (MEDIA_PARAMS, MEDIA_SYSTEM):
                continue
            yield {"status": f"using existing layer {layer['digest']}"}
            layers.append(layer)
        merged = {**source.params, **parameters}
        if merged:
            params_layer = self._write_blob(json.dumps(merged, sort_keys=True).encode())
            yield {"status": f"creating new layer {params_layer['digest']}"}
            layers.append({"mediaType": MEDIA_PARAMS, **params_layer})
        text = source.system if system is None else system
        if text:
            system_layer = self._write_blob(text.encode())
            yield {"status": f"creating new layer {system_layer['digest']}"}
            layers.append({"mediaType": MEDIA_SYSTEM, **system_layer})
        config = dict(source.config, parent_model=source.name.display)
        config_layer = self._write_blob(json.dumps(config).encode())
        yield {"status": "writing manifest"}
        self._write_manifest(name, config_layer, layers)
        yield {"status": "success"}


def registry_layers(entry: catalog.CatalogModel, blob_scale: int) -> list[tuple[str, bytes, int]]:
    """(mediaType, bytes on disk, size reported; -1 = actual) for each layer the registry serves."""
    seed = f"{entry.family}-{entry.parameter_size}-{entry.size}"
    weights = _deterministic_bytes(seed, max(1, entry.size // blob_scale))
    return [
        (MEDIA_MODEL, weights, entry.size),
        (MEDIA_TEMPLATE, _TEMPLATES[entry.family].encode(), -1),
        (MEDIA_PARAMS, json.dumps(_DEFAULT_PARAMS[entry.family]).encode(), -1),
    ]


def config_bytes(entry: catalog.CatalogModel) -> bytes:
    return json.dumps({
        "model_format": "gguf", "model_family": entry.family, "model_families": [entry.family],
        "model_type": entry.parameter_size, "file_type": entry.quantization_level,
        "context_length": entry.context_length, "kv_bytes_per_token": entry.kv_bytes_per_token,
        "vision": entry.vision, "architecture": "amd64", "os": "linux",
    }).encode()


def registry_manifest(entry: catalog.CatalogModel, blob_scale: int) -> dict[str, Any]:
    """The manifest the registry serves at /v2/<namespace>/<model>/manifests/<tag>."""
    config = config_bytes(entry)
    return {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": MEDIA_CONFIG, "digest": "sha256:" + hashlib.sha256(config).hexdigest(),
                   "size": len(config)},
        "layers": [{"mediaType": media, "digest": "sha256:" + hashlib.sha256(data).hexdigest(),
                    "size": len(data) if reported < 0 else reported}
                   for media, data, reported in registry_layers(entry, blob_scale)],
    }


def tags_entry(local: LocalModel) -> dict[str, Any]:
    return {
        "name": local.name.display,
        "model": local.name.display,
        "modified_at": _iso(local.modified_at),
        "size": local.size,
        "digest": local.digest,
        "details": local.details,
    }
