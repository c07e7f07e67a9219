"""Loaded models: memory accounting, keep-alive expiry, reloads, parallel slots and the queue.

As the real server behaves (its docs/faq.md on keep_alive): every request that uses a model sets its
expiry from the request's keep_alive, or OLLAMA_KEEP_ALIVE when absent;
keep_alive 0 unloads; negative keeps forever; a request whose load-time
options differ from the loaded instance's reloads it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .settings import FOREVER, Settings
from .store import LocalModel, StoreError

LOAD_TIME_OPTIONS = ("num_ctx", "num_batch", "num_thread", "num_gpu", "main_gpu", "use_mmap", "low_vram")
_GRAPH_OVERHEAD = 256 * 1024**2
_KV_FACTORS = {"f16": 1.0, "q8_0": 0.5, "q4_0": 0.25}
_REFERENCE_WEIGHTS = 3_338_801_804  # gemma3:4b: the profile speeds are for this size
# What Ollama reports for a model kept forever.
_FOREVER_AT = datetime(2318, 1, 1, tzinfo=UTC)
# Page cache survives a service restart but not a reboot: /dev/shm behaves alike.
_PAGE_CACHE = Path(os.environ.get("OLLAMA_DOUBLE_PAGE_CACHE_DIR", "/dev/shm"))

GIB = 1024**3


@dataclass
class Loaded:
    model: LocalModel
    options: dict[str, Any]
    size: int
    context_length: int
    expires_at: datetime | None = None  # None while a request runs
    active: int = 0
    slots: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(1))
    ready: threading.Event = field(default_factory=threading.Event)


def load_options(local: LocalModel, request_options: dict[str, Any], settings: Settings) -> dict[str, Any]:
    merged = {**local.params, **(request_options or {})}
    chosen = {k: merged[k] for k in LOAD_TIME_OPTIONS if k in merged}
    chosen.setdefault("num_ctx", settings.context_length)
    return chosen


def memory_required(local: LocalModel, num_ctx: int, settings: Settings) -> int:
    kv = int(local.config.get("kv_bytes_per_token", 131_072) * num_ctx * _KV_FACTORS.get(settings.kv_cache_type, 1.0))
    return local.weights_size + kv + _GRAPH_OVERHEAD


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.loaded: dict[str, Loaded] = {}
        self.lock = threading.Condition()
        self.pending = 0
        self._stop = threading.Event()
        threading.Thread(target=self._reaper, daemon=True, name="keepalive-reaper").start()

    def stop(self) -> None:
        self._stop.set()

    # ----- speeds ------------------------------------------------------------
    def _scale(self, local: LocalModel) -> float:
        return _REFERENCE_WEIGHTS / max(1, local.weights_size)

    def prompt_seconds(self, local: LocalModel, tokens: int) -> float:
        return tokens / (self.settings.profile["prompt_tps_4b"] * self._scale(local))

    def token_seconds(self, local: LocalModel) -> float:
        return 1.0 / (self.settings.profile["eval_tps_4b"] * self._scale(local))

    def _load_seconds(self, local: LocalModel) -> float:
        marker = _PAGE_CACHE / f"ollama-double-cached-{local.digest[:16]}"
        rate = self.settings.profile["cache_bytes_per_s"] if marker.exists() else self.settings.profile["disk_bytes_per_s"]
        with suppress(OSError):
            marker.touch()
        return local.weights_size / rate

    # ----- keep-alive ----------------------------------------------------------
    def _reaper(self) -> None:
        while not self._stop.wait(0.2):
            now = datetime.now(UTC)
            with self.lock:
                for key, inst in list(self.loaded.items()):
                    if inst.active == 0 and inst.expires_at is not None and inst.expires_at <= now:
                        del self.loaded[key]

    def _expiry(self, keep_alive: float) -> datetime:
        if keep_alive == FOREVER:
            return _FOREVER_AT
        return datetime.now(UTC) + timedelta(seconds=keep_alive)

    # ----- scheduling ------------------------------------------------------------
    @contextmanager
    def queued(self) -> Iterator[None]:
        with self.lock:
            if self.settings.queue_full or self.pending >= self.settings.max_queue:
                raise StoreError(503, "server busy, please try again.  maximum pending requests exceeded")
            self.pending += 1
        try:
            yield
        finally:
            with self.lock:
                self.pending -= 1

    def _max_loaded(self) -> int:
        return self.settings.max_loaded_models or 3

    def _evict_for(self, need: int, keep: str) -> None:
        """Unload idle models (least recently expiring first) until `need` fits; caller holds the lock."""
        def used() -> int:
            return sum(i.size for k, i in self.loaded.items() if k != keep)

        idle = sorted((i.expires_at or _FOREVER_AT, k) for k, i in self.loaded.items() if i.active == 0 and k != keep)
        while (used() + need > self.settings.memory_bytes or len(self.loaded) >= self._max_loaded()) and idle:
            _, key = idle.pop(0)
            self.loaded.pop(key, None)
        if used() + need > self.settings.memory_bytes:
            available = max(0, self.settings.memory_bytes - used())
            raise StoreError(500, f"model requires more system memory ({need / GIB:.1f} GiB) "
                                  f"than is available ({available / GIB:.1f} GiB)")

    def acquire(self, local: LocalModel, request_options: dict[str, Any]) -> tuple[Loaded, float]:
        """Get a running instance with a free slot; returns it and the seconds this request spent loading it."""
        key = local.name.display
        wanted = load_options(local, request_options, self.settings)
        load_seconds, created = 0.0, False
        with self.lock:
            while True:
                inst = self.loaded.get(key)
                if inst and (inst.options != wanted or inst.model.digest != local.digest):
                    if inst.active:
                        self.lock.wait(0.05)
                        continue
                    del self.loaded[key]
                    inst = None
                if inst is None:
                    need = memory_required(local, wanted["num_ctx"], self.settings)
                    self._evict_for(need, keep=key)
                    if self.settings.crash_on_load:
                        os._exit(2)
                    inst = Loaded(local, wanted, need, wanted["num_ctx"],
                                  slots=threading.Semaphore(max(1, self.settings.num_parallel)))
                    self.loaded[key] = inst
                    load_seconds, created = self._load_seconds(local), True
                inst.active += 1
                inst.expires_at = None
                break
        if created:
            time.sleep(load_seconds)
            inst.ready.set()
        inst.ready.wait()
        inst.slots.acquire()
        return inst, load_seconds

    def release(self, inst: Loaded, keep_alive: float) -> None:
        inst.slots.release()
        with self.lock:
            inst.active -= 1
            if keep_alive == 0:
                if inst.active == 0 and self.loaded.get(inst.model.name.display) is inst:
                    del self.loaded[inst.model.name.display]
            elif inst.active == 0:
                inst.expires_at = self._expiry(keep_alive)
            self.lock.notify_all()

    def unload(self, name: str) -> None:
        with self.lock:
            inst = self.loaded.get(name)
            if inst and inst.active == 0:
                del self.loaded[name]

    def forget(self, name: str) -> None:
        with self.lock:
            self.loaded.pop(name, None)

    def ps(self) -> list[dict[str, Any]]:
        with self.lock:
            items = list(self.loaded.values())
        out = []
        for inst in items:
            expires = inst.expires_at or self._expiry(self.settings.keep_alive)
            out.append({
                "name": inst.model.name.display,
                "model": inst.model.name.display,
                "size": inst.size,
                "digest": inst.model.digest,
                "details": inst.model.details,
                "expires_at": expires.astimezone().isoformat(),
                "size_vram": 0,
                "context_length": inst.context_length,
            })
        return out
