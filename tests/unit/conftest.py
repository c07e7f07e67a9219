"""Fixtures: the Ollama double as a real process on loopback, and a runner for our modules."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ansible.module_utils
import pytest
from ansible.module_utils.testing import patch_module_args
from ports import free_port

ROOT = Path(__file__).resolve().parents[2]
DOUBLE_BIN = ROOT / "tests" / "ollama_double" / "bin" / "ollama"

# Our module_utils and library, importable as Ansible would make them.
ansible.module_utils.__path__.append(str(ROOT / "module_utils"))
sys.path.insert(0, str(ROOT / "library"))
sys.path.insert(0, str(ROOT / "tests" / "ollama_double"))


@dataclass
class DoubleServer:
    """One `ollama serve` of the double; start() and stop() may be called repeatedly."""

    models_dir: Path
    cache_dir: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log: Path | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environ(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "HTTP_PROXY", "http_proxy"))}
        env.update({
            "OLLAMA_HOST": f"127.0.0.1:{self.port}",
            "OLLAMA_MODELS": str(self.models_dir),
            "OLLAMA_DOUBLE_PAGE_CACHE_DIR": str(self.cache_dir),
            "OLLAMA_DOUBLE_PULL_BANDWIDTH": "50GB",
            "NO_PROXY": "127.0.0.1,localhost",
        })
        env.update(self.env)
        return env

    def start(self, wait: bool = True, **extra_env: str) -> DoubleServer:
        self.env.update(extra_env)
        self.log = self.models_dir.parent / f"double-{self.port}.log"
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(DOUBLE_BIN), "serve"], env=self.environ(),
                                         stdout=log, stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc and self.proc.poll() is not None:
                raise RuntimeError(f"double exited: {self.log.read_text() if self.log else ''}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(self.url + "/", timeout=1).read()
                return
            time.sleep(0.05)
        raise RuntimeError(f"double did not answer on {self.url} within {timeout} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
        return lines[-1] if lines else {}

    def pull(self, model: str) -> dict:
        return self.api("POST", "/api/pull", {"model": model, "stream": False}, timeout=60)


@pytest.fixture
def double_factory(tmp_path: Path) -> Iterator:
    """Make stopped DoubleServer objects; every one is stopped at teardown."""
    made: list[DoubleServer] = []

    def make(**env: str) -> DoubleServer:
        base = tmp_path / f"srv{len(made)}"
        (base / "models").mkdir(parents=True)
        (base / "cache").mkdir()
        server = DoubleServer(models_dir=base / "models", cache_dir=base / "cache", env=dict(env))
        made.append(server)
        return server

    yield make
    for server in made:
        server.stop()


@pytest.fixture
def double(double_factory) -> DoubleServer:
    return double_factory().start()


class ModuleResult(dict):
    @property
    def failed(self) -> bool:
        return bool(self.get("failed"))


def run_module(module, args: dict, check_mode: bool = False) -> ModuleResult:
    """Run an Ansible module's main() in-process and return what it printed as JSON."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        module.main()
    return ModuleResult(json.loads(out.getvalue()))
