"""Environment the double reads: Ollama's own variables plus OLLAMA_DOUBLE_* knobs."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_PORT = 11434
FOREVER = -1.0

# Speeds of a simulated host. `fast` keeps tests quick; `m7i-flex-large`
# approximates the brain (1 physical core, gp3 at 125 MB/s, Q4 4B model at
# ~6 tokens/s out and ~15 tokens/s in); speeds scale with model size.
PROFILES: dict[str, dict[str, float]] = {
    "fast": {"disk_bytes_per_s": 200e9, "cache_bytes_per_s": 400e9,
             "prompt_tps_4b": 4000.0, "eval_tps_4b": 2000.0},
    "m7i-flex-large": {"disk_bytes_per_s": 125e6, "cache_bytes_per_s": 2e9,
                       "prompt_tps_4b": 15.0, "eval_tps_4b": 6.0},
}

_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class DurationError(ValueError):
    pass


def parse_duration(value: object) -> float:
    """Parse a keep-alive as Ollama does: Go duration string or seconds; negative means forever."""
    if isinstance(value, bool):
        raise DurationError(f"invalid duration {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        text = str(value).strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", text):
            seconds = float(text)
        else:
            match = re.fullmatch(r"(-?)((?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+)", text)
            if not match:
                raise DurationError(f'time: invalid duration "{text}"')
            total = sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", match.group(2)))
            seconds = -total if match.group(1) else total
    return FOREVER if seconds < 0 else seconds


def parse_bytes(text: str) -> int:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"invalid byte size {text!r}")
    unit = (match.group(2) or "").upper().rstrip("B")
    factor = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12,
              "KI": 1024, "MI": 1024**2, "GI": 1024**3, "TI": 1024**4}[unit]
    return int(float(match.group(1)) * factor)


def parse_host(value: str | None) -> tuple[str, int]:
    """OLLAMA_HOST forms: host, host:port, :port, scheme://host:port, [v6]:port."""
    text = (value or "").strip()
    text = re.sub(r"^[a-z]+://", "", text).rstrip("/")
    if not text:
        return "127.0.0.1", DEFAULT_PORT
    match = re.fullmatch(r"\[([^\]]+)\](?::(\d+))?", text)
    if match:
        return match.group(1), int(match.group(2) or DEFAULT_PORT)
    host, _, port = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
    return host or "0.0.0.0", int(port) if port else DEFAULT_PORT


def _env_bool(env: dict[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _available_memory() -> int:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 8 * 1024**3


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    models_dir: Path = field(default_factory=lambda: Path.home() / ".ollama" / "models")
    keep_alive: float = 300.0
    num_parallel: int = 1
    max_loaded_models: int = 0
    max_queue: int = 512
    context_length: int = 4096
    kv_cache_type: str = "f16"
    noprune: bool = False
    no_cloud: bool = False
    # OLLAMA_DOUBLE_* : what a test controls
    blob_scale: int = 100_000
    pull_bandwidth: float = 2e9
    memory_bytes: int = 0
    profile: dict[str, float] = field(default_factory=lambda: dict(PROFILES["fast"]))
    response_tokens: int = 0
    fail_pull_after_bytes: int = -1
    fail_pull_times: int = 1
    queue_full: bool = False
    crash_on_load: bool = False
    start_delay: float = 0.0
    tags_errors: int = 0
    # While this file exists, generation is wedged: requests are accepted and hold their
    # slot, but no token comes (status endpoints still answer, as in ollama#10119).
    wedge_file: Path | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        host, port = parse_host(env.get("OLLAMA_HOST"))
        profile_name = env.get("OLLAMA_DOUBLE_PROFILE", "fast")
        if profile_name not in PROFILES:
            raise SystemExit(f"OLLAMA_DOUBLE_PROFILE must be one of {', '.join(PROFILES)}")
        return cls(
            host=host,
            port=port,
            models_dir=Path(env.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models"),
            keep_alive=parse_duration(env.get("OLLAMA_KEEP_ALIVE") or "5m"),
            num_parallel=int(env.get("OLLAMA_NUM_PARALLEL") or 1),
            max_loaded_models=int(env.get("OLLAMA_MAX_LOADED_MODELS") or 0),
            max_queue=int(env.get("OLLAMA_MAX_QUEUE") or 512),
            context_length=int(env.get("OLLAMA_CONTEXT_LENGTH") or 4096),
            kv_cache_type=env.get("OLLAMA_KV_CACHE_TYPE") or "f16",
            noprune=_env_bool(env, "OLLAMA_NOPRUNE"),
            no_cloud=_env_bool(env, "OLLAMA_NO_CLOUD"),
            blob_scale=max(1, int(env.get("OLLAMA_DOUBLE_BLOB_SCALE") or 100_000)),
            pull_bandwidth=float(parse_bytes(env.get("OLLAMA_DOUBLE_PULL_BANDWIDTH") or "2GB")),
            memory_bytes=parse_bytes(env["OLLAMA_DOUBLE_MEMORY"]) if env.get("OLLAMA_DOUBLE_MEMORY") else _available_memory(),
            profile=dict(PROFILES[profile_name]),
            response_tokens=int(env.get("OLLAMA_DOUBLE_RESPONSE_TOKENS") or 0),
            fail_pull_after_bytes=parse_bytes(env["OLLAMA_DOUBLE_FAIL_PULL_AFTER"])
            if env.get("OLLAMA_DOUBLE_FAIL_PULL_AFTER") else -1,
            fail_pull_times=int(env.get("OLLAMA_DOUBLE_FAIL_PULL_TIMES") or 1),
            queue_full=_env_bool(env, "OLLAMA_DOUBLE_QUEUE_FULL"),
            crash_on_load=_env_bool(env, "OLLAMA_DOUBLE_CRASH_ON_LOAD"),
            start_delay=float(env.get("OLLAMA_DOUBLE_START_DELAY") or 0),
            tags_errors=int(env.get("OLLAMA_DOUBLE_TAGS_ERRORS") or 0),
            wedge_file=Path(env["OLLAMA_DOUBLE_WEDGE_FILE"]) if env.get("OLLAMA_DOUBLE_WEDGE_FILE") else None,
        )
