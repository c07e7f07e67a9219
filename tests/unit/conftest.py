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
import urllib.error
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
sys.path.insert(0, str(ROOT / "tests" / "backend_double"))


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


# The stand-in backend (tests/backend_double) and its fallback provider, as real processes on loopback.
SECRET = "lab-jwt-secret"
FALLBACK_KEY = "lab-gemini-key"


class BackendProc:
    def __init__(self, args: list[str], env: dict[str, str], log: Path):
        self.port = free_port()
        self.log = log
        full_env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_", "GEMINI_", "OLLAMA_"))}
        full_env.update(env, PYTHONPATH=str(ROOT / "tests" / "backend_double"), NO_PROXY="127.0.0.1")
        with open(log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "talent_api_double", *args, f"127.0.0.1:{self.port}"],
                                         env=full_env, stdout=out, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(self.log.read_text())
            try:
                urllib.request.urlopen(self.url + "/", timeout=1)
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means it is serving
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"{self.url} did not answer within {timeout} s")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def procs(tmp_path):
    started: list[BackendProc] = []

    def start(args: list[str], env: dict[str, str], wait: bool = True) -> BackendProc:
        proc = BackendProc(args, env, tmp_path / f"proc{len(started)}.log")
        started.append(proc)
        if wait:
            proc.wait_ready()
        return proc

    yield start
    for proc in started:
        proc.stop()


@pytest.fixture
def stack(double, procs):
    double.pull("gemma3:1b")
    fallback = procs(["fallback"], {"FALLBACK_API_KEY": FALLBACK_KEY})
    backend = procs([], {"AI_PROVIDER": "ollama", "AI_BASE_URL": double.url, "AI_MODEL_NAME": "gemma3:1b",
                         "AI_TEMPERATURE": "0.7", "AI_TIMEOUT": "30", "SUPABASE_JWT_SECRET": SECRET,
                         "GEMINI_BASE_URL": fallback.url, "GEMINI_API_KEY": FALLBACK_KEY})
    return double, backend


