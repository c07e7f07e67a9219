"""haproxy_servers reading HAProxy 2.6's `show stat` (recorded from Debian 12's haproxy 2.6.12
with one server down and one in maintenance) and a runtime API socket that does not answer."""

from __future__ import annotations

from pathlib import Path

import haproxy_servers
from conftest import run_module

SHOW_STAT = (Path(__file__).parent / "data" / "haproxy-2.6-show-stat.csv").read_text()


def test_reads_each_server_of_the_backend_only():
    servers = haproxy_servers.parse_show_stat(SHOW_STAT, "ollama_brains")
    assert [(s["name"], s["status"], s["healthy"], s["in_flight"], s["requests"]) for s in servers] == [
        ("brain-1", "DOWN", False, 0, 0), ("brain-2", "MAINT", False, 0, 0)]
    assert servers[0]["check"] == "L4CON"


def test_up_and_going_down_count_as_healthy():
    rows = SHOW_STAT.splitlines()
    rows = [row.replace(",DOWN,", ",UP 1/2,") if row.startswith("ollama_brains,brain-1,") else row for row in rows]
    (first, _) = haproxy_servers.parse_show_stat("\n".join(rows), "ollama_brains")
    assert first["status"] == "UP 1/2" and first["healthy"] is True


def test_another_backend_has_no_servers_here():
    assert haproxy_servers.parse_show_stat(SHOW_STAT, "other") == []


def test_a_socket_that_does_not_answer_fails_saying_what_to_check(tmp_path):
    result = run_module(haproxy_servers, {"socket": str(tmp_path / "admin.sock"), "backend": "ollama_brains"})
    assert result.failed
    assert "did not answer" in result["msg"] and "stats socket" in result["msg"]
