"""The double against the official `ollama` Python client and the documented behaviour of the real server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import threading
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import ollama
import pytest
from conftest import DOUBLE_BIN, ROOT
from ollama_double.names import InvalidName, ModelName
from ollama_double.settings import FOREVER, parse_duration, parse_host
from pins import OLLAMA_DEFAULT


def client(server) -> ollama.Client:
    return ollama.Client(host=server.url, timeout=60)


# ----- conformance with the official client -------------------------------------
def test_official_client_full_cycle(double):
    c = client(double)
    assert c.list().models == []
    progress = list(c.pull("gemma3:1b", stream=True))
    statuses = [p.status for p in progress]
    assert statuses[0] == "pulling manifest"
    assert statuses[-3:] == ["verifying sha256 digest", "writing manifest", "success"]
    layer = [p for p in progress if p.digest and p.total == 815_319_791]
    assert layer[0].completed is None and layer[-1].completed == 815_319_791

    listed = c.list().models
    assert [m.model for m in listed] == ["gemma3:1b"]
    assert listed[0].details.family == "gemma3"
    assert listed[0].size > 815_319_791

    gen = c.generate(model="gemma3:1b", prompt="Hai, apa khabar?")
    assert gen.done and gen.response and gen.eval_count > 0
    for name in ("total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration", "eval_duration"):
        assert getattr(gen, name) is not None, name

    chunks = list(c.chat(model="gemma3:1b", messages=[{"role": "user", "content": "hello"}], stream=True))
    assert chunks[-1].done and chunks[-1].done_reason == "stop"
    assert "".join(ch.message.content for ch in chunks[:-1])

    running = c.ps().models
    assert [m.model for m in running] == ["gemma3:1b"]
    assert running[0].size_vram == 0 and running[0].context_length == 4096

    shown = c.show("gemma3:1b")
    assert "completion" in shown.capabilities
    assert "<end_of_turn>" in shown.parameters

    assert c.delete("gemma3:1b").status == "success"
    assert c.list().models == []
    with pytest.raises(ollama.ResponseError) as err:
        c.delete("gemma3:1b")
    assert err.value.status_code == 404


def test_errors_match_the_real_server(double):
    c = client(double)
    with pytest.raises(ollama.ResponseError) as err:
        c.generate(model="gemma3:4b", prompt="hi")
    assert err.value.status_code == 404
    assert err.value.error == 'model "gemma3:4b" not found, try pulling it first'
    with pytest.raises(ollama.ResponseError) as err:
        c.pull("no-such-model:7b")
    assert err.value.error == "pull model manifest: file does not exist"
    with pytest.raises(ollama.ResponseError) as err:
        c.show("gemma3:4b")
    assert err.value.status_code == 404


def test_root_and_unknown_paths(double):
    assert urllib.request.urlopen(double.url + "/").read() == b"Ollama is running"
    head = urllib.request.Request(double.url + "/", method="HEAD")
    assert urllib.request.urlopen(head).status == 200
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(double.url + "/api/nothing")
    assert err.value.code == 404
    assert double.api("GET", "/api/version")["version"]


def test_name_normalisation(double):
    double.pull("gemma3")
    names = [m["name"] for m in double.api("GET", "/api/tags")["models"]]
    assert names == ["gemma3:latest"]
    assert ModelName.parse("ns/model:tag").display == "ns/model:tag"
    assert ModelName.parse("registry.ollama.ai/library/gemma3:4b").display == "gemma3:4b"
    with pytest.raises(InvalidName):
        ModelName.parse("bad name")


def test_stream_false_pull_and_unknown_model_is_http_500(double):
    assert double.pull("gemma2:2b") == {"status": "success"}
    with pytest.raises(urllib.error.HTTPError) as err:
        double.pull("gemma9:1b")
    assert err.value.code == 500


# ----- on-disk layout, restarts, resume, prune -------------------------------------
def test_layout_survives_restart(double):
    double.pull("gemma3:4b")
    manifest = double.models_dir / "manifests/registry.ollama.ai/library/gemma3/4b"
    assert manifest.is_file()
    blobs = sorted(p.name for p in (double.models_dir / "blobs").iterdir())
    assert all(b.startswith("sha256-") for b in blobs)
    weights = max((double.models_dir / "blobs").iterdir(), key=lambda p: p.stat().st_size)
    assert hashlib.sha256(weights.read_bytes()).hexdigest() == weights.name[7:]
    assert weights.stat().st_size == 3_338_801_804 // 100_000
    double.stop()
    double.start()
    assert [m["name"] for m in double.api("GET", "/api/tags")["models"]] == ["gemma3:4b"]


def _partials(server) -> list[Path]:
    return list((server.models_dir / "blobs").glob("*-partial"))


def test_interrupted_pull_resumes_where_it_stopped(double_factory):
    server = double_factory(OLLAMA_DOUBLE_FAIL_PULL_AFTER="1GB", OLLAMA_NOPRUNE="1").start()
    c = client(server)
    with pytest.raises(ollama.ResponseError) as err:
        list(c.pull("gemma3:4b", stream=True))
    assert "unexpected EOF" in err.value.error
    [partial] = _partials(server)
    kept = partial.stat().st_size
    assert 0 < kept < 3_338_801_804 // 100_000
    server.stop()
    del server.env["OLLAMA_DOUBLE_FAIL_PULL_AFTER"]  # the network is back
    server.start()  # OLLAMA_NOPRUNE keeps the partial across the restart
    progress = [p for p in c.pull("gemma3:4b", stream=True) if p.total == 3_338_801_804]
    assert progress[0].completed is not None and progress[0].completed >= kept * 100_000
    assert _partials(server) == []
    assert [m.model for m in c.list().models] == ["gemma3:4b"]


def test_restart_without_noprune_drops_partials(double_factory):
    server = double_factory(OLLAMA_DOUBLE_FAIL_PULL_AFTER="1GB").start()
    with pytest.raises(urllib.error.HTTPError):
        server.pull("gemma3:4b")
    assert _partials(server)
    server.stop()
    server.start()
    assert _partials(server) == []


def test_pull_is_paced_by_bandwidth(double_factory):
    server = double_factory(OLLAMA_DOUBLE_PULL_BANDWIDTH="1GB").start()
    started = time.monotonic()
    server.pull("gemma3:1b")  # 0.8 GB at 1 GB/s
    assert time.monotonic() - started >= 0.7


# ----- loading, memory, keep-alive ---------------------------------------------
def _ps(server) -> dict[str, dict]:
    return {m["name"]: m for m in server.api("GET", "/api/ps")["models"]}


def test_keep_alive_semantics(double_factory):
    server = double_factory(OLLAMA_KEEP_ALIVE="1s").start()
    server.pull("gemma3:1b")
    load = server.api("POST", "/api/generate", {"model": "gemma3:1b", "stream": False})
    assert load["done"] and load["done_reason"] == "load"

    # A warm-up with a long keep-alive...
    server.api("POST", "/api/generate", {"model": "gemma3:1b", "keep_alive": "24h", "stream": False})
    expires = datetime.fromisoformat(_ps(server)["gemma3:1b"]["expires_at"])
    assert (expires - datetime.now(UTC)).total_seconds() > 23 * 3600
    # ...is undone by the next request that sends none: OLLAMA_KEEP_ALIVE applies again.
    server.api("POST", "/api/chat", {"model": "gemma3:1b", "stream": False,
                                     "messages": [{"role": "user", "content": "hi"}]})
    expires = datetime.fromisoformat(_ps(server)["gemma3:1b"]["expires_at"])
    assert (expires - datetime.now(UTC)).total_seconds() < 2
    deadline = time.monotonic() + 5
    while "gemma3:1b" in _ps(server) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "gemma3:1b" not in _ps(server)

    server.api("POST", "/api/generate", {"model": "gemma3:1b", "keep_alive": -1, "stream": False})
    assert _ps(server)["gemma3:1b"]["expires_at"].startswith("2318")
    unload = server.api("POST", "/api/generate", {"model": "gemma3:1b", "keep_alive": 0, "stream": False})
    assert unload["done_reason"] == "unload"
    assert _ps(server) == {}


def test_server_wide_forever_keeps_model_after_client_requests(double_factory):
    server = double_factory(OLLAMA_KEEP_ALIVE="-1").start()
    server.pull("gemma3:1b")
    server.api("POST", "/api/chat", {"model": "gemma3:1b", "stream": False,
                                     "messages": [{"role": "user", "content": "hi"}]})
    assert _ps(server)["gemma3:1b"]["expires_at"].startswith("2318")


def test_load_time_options_reload_and_sampling_options_do_not(double):
    double.pull("gemma3:1b")
    first = double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "a", "stream": False})
    assert first["load_duration"] > 0
    same = double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "a", "stream": False,
                                                "options": {"temperature": 0.7, "top_k": 40, "top_p": 0.9}})
    assert same["load_duration"] == 0
    other = double.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "a", "stream": False,
                                                 "options": {"num_ctx": 8192}})
    assert other["load_duration"] > 0
    assert _ps(double)["gemma3:1b"]["context_length"] == 8192


def test_model_that_does_not_fit_memory_fails_like_ollama(double_factory):
    server = double_factory(OLLAMA_DOUBLE_MEMORY="7.6GiB").start()
    server.pull("gemma3:12b")
    with pytest.raises(urllib.error.HTTPError) as err:
        server.api("POST", "/api/generate", {"model": "gemma3:12b", "prompt": "hi", "stream": False})
    assert err.value.code == 500
    assert "model requires more system memory" in err.value.read().decode()
    server.pull("gemma3:4b")
    ok = server.api("POST", "/api/generate", {"model": "gemma3:4b", "prompt": "hi", "stream": False})
    assert ok["done"]
    size = _ps(server)["gemma3:4b"]["size"]
    assert 3.0e9 < size < 4.5e9


def test_max_loaded_models_evicts_idle(double_factory):
    server = double_factory(OLLAMA_MAX_LOADED_MODELS="1", OLLAMA_KEEP_ALIVE="-1").start()
    server.pull("gemma3:1b")
    server.pull("gemma2:2b")
    server.api("POST", "/api/generate", {"model": "gemma3:1b", "stream": False})
    server.api("POST", "/api/generate", {"model": "gemma2:2b", "stream": False})
    assert list(_ps(server)) == ["gemma2:2b"]


def test_full_queue_answers_503(double_factory):
    server = double_factory(OLLAMA_MAX_QUEUE="1", OLLAMA_DOUBLE_RESPONSE_TOKENS="2000").start()
    server.pull("gemma3:1b")
    slow = threading.Thread(target=server.api, args=("POST", "/api/generate",
                                                     {"model": "gemma3:1b", "prompt": "long", "stream": False}))
    slow.start()
    time.sleep(0.3)
    try:
        with pytest.raises(urllib.error.HTTPError) as err:
            server.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "x", "stream": False})
        assert err.value.code == 503
        assert "server busy" in err.value.read().decode()
    finally:
        slow.join(30)


def test_queue_full_fault(double_factory):
    server = double_factory(OLLAMA_DOUBLE_QUEUE_FULL="1").start()
    server.pull("gemma3:1b")
    with pytest.raises(ollama.ResponseError) as err:
        client(server).generate(model="gemma3:1b", prompt="x")
    assert err.value.status_code == 503


def test_crash_on_load_fault_kills_the_server(double_factory):
    server = double_factory(OLLAMA_DOUBLE_CRASH_ON_LOAD="1").start()
    server.pull("gemma3:1b")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        server.api("POST", "/api/generate", {"model": "gemma3:1b", "stream": False})
    assert server.proc.wait(timeout=5) != 0


def test_m7i_profile_is_slow_like_a_cpu_host(double_factory):
    server = double_factory(OLLAMA_DOUBLE_PROFILE="m7i-flex-large", OLLAMA_DOUBLE_RESPONSE_TOKENS="3").start()
    server.pull("gemma3:1b")
    result = server.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "hi", "stream": False})
    tokens_per_second = result["eval_count"] / (result["eval_duration"] / 1e9)
    assert 10 < tokens_per_second < 40  # 1B model: ~4x the 4B's ~6 tokens/s
    assert result["load_duration"] / 1e9 > 5  # cold read of 0.8 GB at 125 MB/s


def test_create_derived_model(double):
    double.pull("gemma3:1b")
    c = client(double)
    c.create(model="brain-gemma", from_="gemma3:1b", parameters={"num_ctx": 8192}, system="Be brief.")
    shown = c.show("brain-gemma")
    assert "num_ctx" in shown.parameters and "8192" in shown.parameters
    assert "brain-gemma:latest" in [m.model for m in c.list().models]
    c.generate(model="brain-gemma", prompt="hi")
    assert _ps(double)["brain-gemma:latest"]["context_length"] == 8192


# ----- parsing ----------------------------------------------------------------
@pytest.mark.parametrize(("text", "seconds"), [
    ("5m", 300), ("24h", 86400), ("1h30m", 5400), ("300", 300), (0, 0), ("-1", FOREVER), (-1, FOREVER), ("-5m", FOREVER),
])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(("text", "expected"), [
    (None, ("127.0.0.1", 11434)), ("0.0.0.0", ("0.0.0.0", 11434)), ("10.0.1.5:11500", ("10.0.1.5", 11500)),
    ("http://10.0.1.5:11434", ("10.0.1.5", 11434)), ("[::1]:11434", ("::1", 11434)), (":11434", ("0.0.0.0", 11434)),
])
def test_parse_host(text, expected):
    assert parse_host(text) == expected


# ----- CLI and release ----------------------------------------------------------
def _cli(server, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(DOUBLE_BIN), *args], env=server.environ(),
                          capture_output=True, text=True, timeout=60, check=False)


def test_cli(double):
    assert "ollama version is" in _cli(double, "--version").stdout
    assert _cli(double, "pull", "gemma3:1b").returncode == 0
    assert "gemma3:1b" in _cli(double, "list").stdout
    run = _cli(double, "run", "gemma3:1b", "hello", "--keepalive", "24h")
    assert run.returncode == 0 and run.stdout.strip()
    assert "gemma3:1b" in _cli(double, "ps").stdout
    assert "<end_of_turn>" in _cli(double, "show", "gemma3:1b").stdout
    assert _cli(double, "rm", "gemma3:1b").stdout.strip() == "deleted 'gemma3:1b'"
    missing = _cli(double, "run", "gemma3:4b", "hi")
    assert missing.returncode == 1 and "not found" in missing.stderr


def test_release_archives_verify_and_unpack(tmp_path):
    build = ROOT / "tests" / "ollama_double" / "build_release.py"
    subprocess.run([sys.executable, str(build), str(tmp_path), "0.13.5", OLLAMA_DEFAULT], check=True,
                   capture_output=True, timeout=60)
    base = tmp_path / "ollama/ollama/releases/download"
    for version, asset in (("0.13.5", "ollama-linux-amd64.tgz"), (OLLAMA_DEFAULT, "ollama-linux-amd64.tar.zst")):
        folder = base / f"v{version}"
        assert (folder / "sha256sum.txt").read_text() == (
            f"{hashlib.sha256((folder / asset).read_bytes()).hexdigest()}  ./{asset}\n")
        subprocess.run(["sha256sum", "-c", "sha256sum.txt"], cwd=folder, check=True, capture_output=True)
        dest = tmp_path / f"unpacked-{version}"
        dest.mkdir()
        subprocess.run(["tar", "-xf", str(folder / asset), "-C", str(dest)], check=True, timeout=60)
        assert (dest / "bin/ollama").stat().st_mode & 0o111
        assert (dest / "lib/ollama/ollama_double/server.py").is_file()
        out = subprocess.run([str(dest / "bin/ollama"), "--version"], capture_output=True, text=True,
                             timeout=30, env={"OLLAMA_HOST": "127.0.0.1:9", "PATH": "/usr/bin:/bin"}).stdout
        assert f"client version is {version}" in out
    again = tmp_path / "again"
    subprocess.run([sys.executable, str(build), str(again), OLLAMA_DEFAULT], check=True, capture_output=True, timeout=60)
    assert (again / f"ollama/ollama/releases/download/v{OLLAMA_DEFAULT}/sha256sum.txt").read_text() == (
        base / f"v{OLLAMA_DEFAULT}/sha256sum.txt").read_text()
    with tarfile.open(base / "v0.13.5/ollama-linux-amd64.tgz") as tar:
        assert {"bin/ollama", "lib/ollama"} <= set(tar.getnames())


@pytest.mark.parametrize(("path", "operation"), [("/api/chat", "remote model is unavailable"),
                                                 ("/api/generate", "remote model is unavailable"),
                                                 ("/api/show", "remote model details are unavailable")])
def test_cloud_models_are_refused_with_ollama_no_cloud(double_factory, path, operation):
    server = double_factory(OLLAMA_NO_CLOUD="1").start()
    body = {"model": "gpt-oss:120b-cloud", "messages": [{"role": "user", "content": "hi"}], "prompt": "hi", "stream": False}
    with pytest.raises(urllib.error.HTTPError) as err:
        server.api("POST", path, body)
    assert err.value.code == 403
    assert json.loads(err.value.read()) == {"error": f"ollama cloud is disabled: {operation}"}
    assert server.api("GET", "/api/status") == {"cloud": {"disabled": True, "source": "env"}}


def test_without_ollama_no_cloud_a_cloud_model_would_leave_the_host(double_factory):
    server = double_factory().start()
    assert server.api("GET", "/api/status") == {"cloud": {"disabled": False, "source": "none"}}
    # The request is forwarded to ollama.com; the double, never signed in, gets what such a server gets.
    with pytest.raises(urllib.error.HTTPError) as err:
        server.api("POST", "/api/chat", {"model": "minimax-m2.7:cloud", "messages": [], "stream": False})
    assert err.value.code == 401


def test_a_wedged_brain_answers_its_status_endpoints_but_produces_no_token(double_factory, tmp_path):
    """As in ollama#10119: /, /api/ps and /api/tags answer at once while generation hangs."""
    wedge = tmp_path / "wedge"
    server = double_factory(OLLAMA_DOUBLE_WEDGE_FILE=str(wedge)).start()
    server.pull("gemma3:1b")
    server.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "", "keep_alive": -1, "stream": False})
    wedge.touch()
    answers = {}

    def ask() -> None:
        try:
            answers["result"] = server.api("POST", "/api/generate", {"model": "gemma3:1b", "prompt": "hi", "stream": False},
                                           timeout=30)
        except Exception as exc:
            answers["result"] = exc

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        time.sleep(2)
        assert "result" not in answers, "a wedged brain produced an answer"
        for path in ("/api/ps", "/api/tags"):
            started = time.monotonic()
            assert server.api("GET", path, timeout=5)["models"], path
            assert time.monotonic() - started < 1, path
        [loaded] = server.api("GET", "/api/ps")["models"]
        assert loaded["name"] == "gemma3:1b"
    finally:
        wedge.unlink()
    asking.join(30)
    assert isinstance(answers.get("result"), dict) and answers["result"]["done"], answers
