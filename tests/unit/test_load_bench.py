"""bench/load.py against the Ollama double on loopback: bounded, counting, and failing what does not answer."""

from __future__ import annotations

import argparse
import importlib.util

import pytest
from conftest import ROOT
from ports import free_port

_spec = importlib.util.spec_from_file_location("load_bench", ROOT / "bench" / "load.py")
load = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(load)


def test_a_bounded_load_counts_requests_tokens_and_first_tokens(double):
    double.pull("gemma3:1b")
    args = argparse.Namespace(
        target="ollama", url=double.url, model="gemma3:1b", clients=2, seconds=1.0, timeout=10.0)
    summary = load.run(args)
    assert summary["failed"] == 0, summary
    assert summary["requests"] >= 2 and summary["tokens"] > 0
    assert 0 < summary["ttft_p50"] <= summary["ttft_p95"]
    assert summary["seconds"] < 1.0 + 10.0 + 1


def test_a_server_that_does_not_answer_fails_every_request():
    args = argparse.Namespace(
        target="backend", url=f"http://127.0.0.1:{free_port()}", path="/api/ai/v3/command", token="t",
        clients=1, seconds=0.3, timeout=2.0)
    summary = load.run(args)
    assert summary["requests"] >= 1 and summary["failed"] == summary["requests"], summary
    assert set(summary["failures"]) == {"URLError"}


def test_the_load_refuses_to_be_unbounded(capsys):
    for bad in (["--clients", "0"], ["--seconds", "0"], ["--timeout", "9999"]):
        with pytest.raises(SystemExit) as refused:
            load.main(["ollama", "--url", "http://127.0.0.1:1", *bad])
        assert refused.value.code == 2, bad
    assert "keep the load bounded" in capsys.readouterr().err
