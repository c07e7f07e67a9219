"""http_probe over real HTTP to the double on loopback."""

from __future__ import annotations

import http_probe
from conftest import free_port, run_module


def test_reports_each_answer_and_a_refused_connection(double):
    closed = f"http://127.0.0.1:{free_port()}/health"
    result = run_module(http_probe, {"probes": [{"name": "tags", "url": f"{double.url}/api/tags"},
                                                {"name": "missing", "url": f"{double.url}/no/such/path"},
                                                {"name": "closed", "url": closed, "timeout": 2}]})
    assert not result.failed, result
    answers = result["answers"]
    assert answers["tags"]["status"] == 200
    assert answers["tags"]["json"] == {"models": []}
    assert answers["missing"]["status"] == 404
    assert answers["closed"]["status"] == -1
    assert answers["closed"]["elapsed"] < 2
    assert result["changed"] is False


def test_names_must_be_unique(double):
    result = run_module(http_probe, {"probes": [{"name": "a", "url": double.url}, {"name": "a", "url": double.url}]})
    assert result.failed
    assert "unique" in result["msg"]
