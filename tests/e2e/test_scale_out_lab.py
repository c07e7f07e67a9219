"""Scale-out end to end in the lab: the converged demo gets a second brain and HAProxy
in front of both (the lab's stand-in for the ALB, tests/lab/demo.sh scale-out), then
rolling upgrades run while users' requests flow through the body.

Run after test_demo.py in one pytest, it scales out that demo's lab; run alone, it
brings a demo up first, as `make demo-two-brains` does but without the one-brain
verify (make test runs it so, on a demo of its own, LAB_DEMO=demo2, beside
test_demo.py). Tests run in file order.
The brains run the double's m7i-flex-large profile, so a request takes seconds
and a drain has requests in flight to wait for.
"""

from __future__ import annotations

import csv
import json
import math
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from lab_rig import BODY, BRAIN, DEMO, LB, OUTSIDER, PROJECT, VENV_BIN, address, lab_env, recap, run, sh
from pins import OLLAMA_DEFAULT

UPGRADE_REPORT = PROJECT / "reports" / "rolling-upgrade.json"
VERIFY_REPORT = PROJECT / "reports" / f"verify-{BODY}.json"
BRAIN_2 = f"{BRAIN}-2"
BRAINS = {BRAIN, BRAIN_2}
# The lab mirror's releases (tests/lib/lab-services.sh): the demo runs the role's default.
OTHER_VERSION = "0.32.3"
DEFAULT_VERSION = OLLAMA_DEFAULT


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture(scope="module")
def scaled_out(demo_lab_removed_at_the_end):
    env = lab_env()
    if run("docker", "inspect", "-f", "{{.State.Running}}", BODY).stdout.strip() != "true":
        # Without verify: the one-brain demo's report is test_demo.py's; the scale-out verifies the two-brain stack.
        up = run(DEMO, "up", "--skip-tags", "verify")
        assert up.returncode == 0, output(up)[-4000:]
    result = run(DEMO, "scale-out", env=env)
    assert result.returncode == 0, output(result)[-6000:]
    return result


@pytest.fixture(scope="module")
def network(scaled_out) -> str:
    return lab_env()["LAB_NETWORK"]


def brain_version(brain: str) -> str:
    result = sh(brain, "readlink -f /usr/local/bin/ollama")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def haproxy_servers() -> dict[str, str]:
    """Each brain's status as HAProxy's runtime API reports it (read on the load balancer)."""
    result = sh(LB, "python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); "
                           "s.connect('/run/haproxy/admin.sock'); s.sendall(b'show stat\\n'); "
                           "print(b''.join(iter(lambda: s.recv(65536), b'')).decode())\"")
    assert result.returncode == 0, result.stderr
    rows = csv.DictReader(result.stdout.lstrip("# ").splitlines())
    return {r["svname"]: r["status"] for r in rows if r["pxname"] == "ollama_brains" and r["svname"] in BRAINS}


@contextmanager
def users_asking(network: str, clients: int = 2):
    """bench/load.py through the body's tunnel, as users reach the backend, until the block ends.

    Bounded twice: it stops by itself after 600 s, and SIGINT ends it once the block is done.
    """
    body = address(BODY, network)
    token_file = Path(lab_env()["LAB_SECRETS_DIR"]) / "api-token"
    load = subprocess.Popen([str(VENV_BIN / "python"), str(PROJECT / "bench" / "load.py"), "backend",
                             "--url", f"http://{body}:8080", "--token-file", str(token_file),
                             "--clients", str(clients), "--seconds", "600", "--timeout", "60", "--json"],
                            cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    summary: dict = {}
    try:
        yield summary
    finally:
        load.send_signal(signal.SIGINT)
        out, err = load.communicate(timeout=120)
        assert load.returncode == 0, err
        summary.update(json.loads(out))


def upgrade(version: str, *extra: str) -> subprocess.CompletedProcess:
    return run(VENV_BIN / "ansible-playbook", "-i", PROJECT / "tests" / "lab" / "inventory",
               PROJECT / "playbooks" / "rolling_upgrade.yml", "-e", f"ollama_brain_version={version}", *extra)


def test_two_brains_serve_behind_the_load_balancer_and_verify_green(scaled_out, network):
    hosts = recap(output(scaled_out))
    assert {BRAIN, BRAIN_2, LB, BODY} <= set(hosts)
    assert all(h["failed"] == 0 and h["unreachable"] == 0 for h in hosts.values()), hosts
    checks = {c["name"]: c for c in json.loads(VERIFY_REPORT.read_text())["checks"]}
    for brain in sorted(BRAINS):
        assert checks[f"brain {brain} healthy behind the load balancer"]["status"] == "OK", checks
    (lb_row,) = [c for c in checks.values() if c["name"].startswith("load balancer:")]
    assert lb_row["status"] == "OK", lb_row
    # The body calls the load balancer, and only the load balancer reaches the brains.
    lb = address(LB, network)
    running = sh(BODY, "docker inspect -f '{{range .Config.Env}}{{println .}}{{end}}' talent-api"
                              " | grep '^AI_BASE_URL='").stdout.split()
    assert running == [f"AI_BASE_URL=http://{lb}:11434"], running
    for brain in sorted(BRAINS):
        direct = sh(BODY, f"curl -sS --max-time 3 http://{address(brain, network)}:11434/api/version")
        assert direct.returncode != 0, f"the body reached {brain} past the load balancer: {direct.stdout}"
    through_lb = sh(BODY, f"curl -fsS --max-time 10 http://{lb}:11434/api/version")
    assert through_lb.returncode == 0, through_lb.stderr
    # The outsider is refused by the load balancer, as by the ALB's security group.
    assert sh(OUTSIDER, f"curl -sS --max-time 3 http://{lb}:11434/api/version").returncode != 0


def test_a_second_run_with_two_brains_changes_nothing(scaled_out):
    result = run(DEMO, "play", "site.yml")
    hosts = recap(output(result))
    assert result.returncode == 0, output(result)[-4000:]
    assert {name: h["changed"] for name, h in hosts.items()} == {name: 0 for name in hosts}, output(result)[-4000:]


def test_a_rolling_upgrade_under_load_fails_no_request(scaled_out, network):
    assert {brain_version(b) for b in BRAINS} == {f"/opt/ollama/{DEFAULT_VERSION}/bin/ollama"}
    with users_asking(network) as load:
        result = upgrade(OTHER_VERSION)
    log = output(result)
    assert result.returncode == 0, log[-6000:]
    assert load["failed"] == 0, load
    assert load["requests"] >= 4 and load["answered_by"] == {"ollama": load["requests"]}, load
    assert {brain_version(b) for b in BRAINS} == {f"/opt/ollama/{OTHER_VERSION}/bin/ollama"}
    report = json.loads(UPGRADE_REPORT.read_text())
    assert report["brains"] == {b: {"status": "upgraded", "version": OTHER_VERSION} for b in BRAINS}, report
    # One brain at a time: each was drained, proved warm and only then admitted.
    order = [line for line in log.splitlines() if line.startswith("TASK [") and any(
        key in line for key in ("Stop sending the brain new requests", "Refuse to admit a brain whose warm models",
                                "Let HAProxy send the brain requests again"))]
    assert len(order) == 6 and all("Stop sending" in order[i] and "Refuse to admit" in order[i + 1]
                                   and "Let HAProxy" in order[i + 2] for i in (0, 3)), order
    assert haproxy_servers() == {b: "UP" for b in BRAINS}


def test_a_brain_that_fails_its_upgrade_stops_the_rollout_with_the_other_serving(scaled_out, network):
    # The first brain of the roll-out gets a release that crashes when it loads the model.
    crash = ('{"ollama_brain_environment": "{{ {\'OLLAMA_DOUBLE_PROFILE\': \'m7i-flex-large\'} | combine('
             '{\'OLLAMA_DOUBLE_CRASH_ON_LOAD\': \'1\'} if inventory_hostname == ansible_play_hosts_all[0] else {}) }}"}')
    with users_asking(network) as load:
        result = upgrade(DEFAULT_VERSION, "-e", crash)
    log = output(result)
    assert result.returncode != 0, log[-4000:]
    report = json.loads(UPGRADE_REPORT.read_text())
    failed = [b for b, r in report["brains"].items() if r["status"] == "failed"]
    assert len(failed) == 1, report
    (first,) = failed
    (other,) = BRAINS - {first}
    assert report["brains"][other] == {"status": "not started"}, report
    assert f"{first} failed its upgrade to {DEFAULT_VERSION}" in log
    # The failed brain stays out; the other kept serving every request on its old version.
    assert haproxy_servers() == {first: "MAINT", other: "UP"}
    assert brain_version(other) == f"/opt/ollama/{OTHER_VERSION}/bin/ollama"
    assert load["failed"] == 0 and load["requests"] >= 2, load

    # The cause fixed, the same play finishes the roll-out.
    with users_asking(network) as load:
        retry = upgrade(DEFAULT_VERSION)
    assert retry.returncode == 0, output(retry)[-6000:]
    assert load["failed"] == 0, load
    assert json.loads(UPGRADE_REPORT.read_text())["brains"] == {
        b: {"status": "upgraded", "version": DEFAULT_VERSION} for b in BRAINS}
    assert haproxy_servers() == {b: "UP" for b in BRAINS}


# ----- the brains' front doors under load (roles/ollama_brain: admission, deep health, watchdog) -----
GENERATE = json.dumps({"model": "gemma3:4b", "prompt": "Tell me about the sea.", "stream": False})


def brain_health(brain: str) -> dict:
    """The health agent's verdict, read on the brain itself (its port is loopback only)."""
    result = sh(brain, "curl -sS --max-time 5 http://127.0.0.1:11436/healthz")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_body_cannot_manage_models_through_the_load_balancer(scaled_out, network):
    lb = address(LB, network)
    for method, path in (("POST", "/api/pull"), ("DELETE", "/api/delete"), ("POST", "/api/create")):
        answer = sh(BODY, f"curl -sS --max-time 10 -X {method} -d '{{\"model\": \"gemma3:4b\"}}' "
                                 f"-w '\\n%{{http_code}}' http://{lb}:11434{path}")
        text, code = answer.stdout.rsplit("\n", 1)
        assert code == "403", (path, answer.stdout)
        assert "model management runs on the brain itself" in json.loads(text)["error"]
    for brain in sorted(BRAINS):
        tags = sh(brain, "curl -fsS --max-time 5 http://127.0.0.1:11435/api/tags").stdout
        assert [m["name"] for m in json.loads(tags)["models"]] == ["gemma3:4b"], (brain, tags)


def test_a_flood_beyond_the_queue_gets_fast_refusals_and_the_brain_stays_in(scaled_out, network):
    """Ten requests at once straight at one brain (from the load balancer, an allowed client): one runs, two wait,
    the other seven are refused at once; the brain is never taken out."""
    brain = address(BRAIN, network)
    flood = sh(LB, f"for i in $(seq 10); do (curl -s --max-time 60 -o /dev/null -w '%{{http_code}} %{{time_total}}\\n' "
                          f"-d '{GENERATE}' http://{brain}:11434/api/generate &); done; sleep 1; "
                          "for i in $(seq 30); do pgrep -x curl >/dev/null || break; sleep 1; done", timeout=120)
    answers = [line.split() for line in flood.stdout.splitlines() if line.strip()]
    refused_fast = [a for a in answers if a[0] == "503" and float(a[1]) < 1]
    assert len(answers) == 10 and len(refused_fast) >= 7, answers
    assert haproxy_servers() == {b: "UP" for b in BRAINS}
    assert brain_health(BRAIN)["status"] == "healthy"


def test_busy_brains_stay_in_and_a_wedged_one_is_taken_out_and_restarted_while_users_are_served(scaled_out, network):
    """Two users keep both one-slot brains busy: neither is taken out, no request fails. Then one brain's generation
    hangs (its status endpoints still answer): the load balancer takes it out once its health agent calls it wedged,
    the watchdog restarts Ollama once, and it serves again within two minutes, while the other brain serves the
    users. Only requests that were in flight on the wedged brain fall back (after the backend's 30 s)."""
    restarts_before = {b: brain_health(b)["restarts_total"] for b in BRAINS}
    busy_states: list[dict[str, str]] = []
    with users_asking(network) as busy:
        started = time.monotonic()
        while time.monotonic() - started < 40:
            busy_states.append(haproxy_servers())
            time.sleep(2)
    assert all(s == {b: "UP" for b in BRAINS} for s in busy_states), busy_states
    assert busy["failed"] == 0 and busy["requests"] >= 4, busy
    assert {b: brain_health(b)["restarts_total"] for b in BRAINS} == restarts_before

    states: list[tuple[float, dict[str, str]]] = []
    with users_asking(network) as load:
        sh(BRAIN, "touch /usr/share/ollama/.ollama/wedge")
        wedged_at = time.monotonic()
        out_at = back_at = None
        while time.monotonic() - wedged_at < 180 and back_at is None:
            servers = haproxy_servers()
            states.append((time.monotonic() - wedged_at, servers))
            if out_at is None and servers[BRAIN].startswith("DOWN"):
                out_at = time.monotonic() - wedged_at
            if out_at is not None and servers[BRAIN] == "UP":
                back_at = time.monotonic() - wedged_at
            time.sleep(2)
        sh(BRAIN, "rm -f /usr/share/ollama/.ollama/wedge")
    assert out_at is not None, f"the load balancer never took the wedged brain out: {states[-5:]}"
    assert back_at is not None, f"the wedged brain was not serving again within 180 s: {states[-5:]}"
    record(f"wedge to out of the load balancer {out_at:.0f} s, to back in {back_at:.0f} s; under load: {load}")
    assert back_at <= 120, back_at
    assert brain_health(BRAIN)["restarts_total"] == restarts_before[BRAIN] + 1
    assert brain_health(BRAIN_2)["restarts_total"] == restarts_before[BRAIN_2]
    assert "watchdog: restarting ollama" in sh(BRAIN, "journalctl -u ollama-health --no-pager").stdout
    # Nothing failed outright; what fell back was in flight on the wedged brain before it was out: per user, one
    # request per backend timeout (30 s) until then, and the one the restart cut.
    assert set(load["failures"]) <= {"answered by gemini"}, load
    in_flight_bound = 2 * (math.ceil(out_at / 30) + 1)
    assert load["failed"] <= in_flight_bound, (in_flight_bound, load)
    assert load["answered_by"].get("ollama", 0) >= 4, load


def record(what: str) -> None:
    """Keep a number this test measured beside make test's logs (.cache/logs/measurements.log)."""
    logs = PROJECT / ".cache" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with (logs / "measurements.log").open("a") as out:
        out.write(f"e2e: {what}\n")
