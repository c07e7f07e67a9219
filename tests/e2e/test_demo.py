"""`make demo` end to end: the lab found by the Docker inventory, reached over SSH as
ubuntu with sudo, converged by the same site.yml as on AWS, verified, re-run with
nothing changed, checked for drift in check mode, redeployed by the team's pipeline,
drilled, and removed.

Tests run in file order on one lab (converging it is the slow part), which
test_scale_out_lab.py then scales out. The Debian
release of the hosts comes from LAB_DEBIAN_SUITE (bookworm or trixie).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from lab_rig import (
    BODY,
    BRAIN,
    DEMO,
    DEMO_NAME,
    OUTSIDER,
    PROJECT,
    VENV_BIN,
    address,
    assert_warm_through_backend,
    inventory_host,
    lab_env,
    recap,
    run,
    sh,
    wait_warm,
)

REPORT = PROJECT / "reports" / f"verify-{BODY}.json"
INVENTORY = PROJECT / "tests" / "lab" / "inventory"


@pytest.fixture(scope="module")
def fresh_check(demo_lab_removed_at_the_end):
    """The hand-built lab, before Ansible, and `site.yml --check --diff` on it.

    The lab is removed at the end of the run, whatever happened (tests/e2e/conftest.py).
    """
    lab_env(refresh=True)
    hosts = run(DEMO, "hosts")
    assert hosts.returncode == 0, (hosts.stdout + hosts.stderr)[-4000:]
    return run(DEMO, "play", "site.yml", "--check", "--diff")


@pytest.fixture(scope="module")
def demo(fresh_check):
    """The first `make demo` run, on the hand-built lab."""
    return run(DEMO, "up")


@pytest.fixture(scope="module")
def token(demo) -> str:
    return (Path(lab_env()["LAB_SECRETS_DIR"]) / "api-token").read_text().strip()


@pytest.fixture(scope="module")
def brain_address(demo) -> str:
    return address(BRAIN, lab_env()["LAB_NETWORK"])


def report() -> dict:
    return json.loads(REPORT.read_text())


def test_check_mode_on_the_hand_built_lab_shows_changes_and_skips_what_it_cannot_measure(fresh_check):
    output = fresh_check.stdout + fresh_check.stderr
    assert fresh_check.returncode == 0, output[-4000:]
    hosts = recap(output)
    assert hosts[BRAIN]["changed"] > 0 and hosts[BODY]["changed"] > 0, hosts
    checks = {check["name"]: check for check in report()["checks"]}
    assert report()["check_mode"] is True
    assert not [c for c in checks.values() if c["status"] == "FAIL"], checks
    for name in ("brain lists gemma3:4b", "AI endpoint answered by ollama", "backend container runs with the brain settings"):
        assert checks[name]["status"] == "SKIP", checks[name]
        assert checks[name]["value"].startswith("not measurable in check mode: "), checks[name]
    # Nothing was applied: the backend still answers from Gemini, the brain has no Ollama.
    assert sh(BRAIN, "test -e /usr/local/bin/ollama").returncode == 1
    assert "AI_PROVIDER=gemini" in sh(BODY, "cat /home/ubuntu/app/.env").stdout


def test_first_demo_converges_and_verifies_green(demo):
    output = demo.stdout + demo.stderr
    assert demo.returncode == 0, output[-4000:]
    hosts = recap(output)
    assert {BRAIN, BODY} <= set(hosts), hosts
    assert all(counters["failed"] == 0 and counters["unreachable"] == 0 for counters in hosts.values())
    checks = report()["checks"]
    assert checks and all(check["status"] == "OK" for check in checks), checks
    names = " ".join(check["name"] for check in checks)
    assert "AI endpoint answered by ollama" in names
    assert OUTSIDER in names, "verify must try the brain from the outsider"
    assert "tunnel process runs and survived this run" in names
    assert "brain refuses cloud models (prompts stay on the brain)" in names
    assert "The lab is converged and verified" in output
    # The table shows what the brain would do, says so, and times the request in milliseconds.
    assert "SIMULATED: the brain is the Ollama API double (profile m7i-flex-large" in output
    end_to_end = next(check for check in checks if check["name"].startswith("end-to-end AI request"))
    assert end_to_end["value"].endswith(" ms") and float(end_to_end["value"][:-3]) > 0, end_to_end
    tokens_per_second = next(check for check in checks if check["name"].startswith("generation"))
    assert float(tokens_per_second["value"].split()[0]) < 20, "the demo must show the m7i-flex-large pace"


def test_hosts_are_reached_over_ssh_as_ubuntu_with_sudo(demo, brain_address):
    for host in (BRAIN, BODY, OUTSIDER):
        hostvars = inventory_host(host, INVENTORY)
        assert (hostvars["ansible_connection"], hostvars["ansible_user"]) == ("ssh", "ubuntu"), hostvars
    assert inventory_host(BRAIN, INVENTORY)["ansible_host"] == brain_address
    for host in (BRAIN, BODY):
        # sshd let ubuntu in with the lab's key, and sudo ran Ansible's modules as root for ubuntu.
        assert "Accepted publickey for ubuntu" in sh(host, "journalctl -u ssh --no-pager").stdout
        assert "ubuntu : PWD=" in sh(host, "journalctl _COMM=sudo --no-pager").stdout
    # What the deploy user must own, it owns.
    owned = sh(BODY, "stat -c '%U %a %n' /home/ubuntu/app /home/ubuntu/app/.env").stdout.split("\n")
    assert owned[0].startswith("ubuntu ") and owned[1].startswith("ubuntu 600 "), owned


def test_inventory_gives_the_ec2_groups_and_hostvars(demo, brain_address):
    result = run(VENV_BIN / "ansible-inventory", "-i", INVENTORY, "--list")
    assert result.returncode == 0, result.stderr
    inventory = json.loads(result.stdout)
    assert inventory["brain"]["hosts"] == [BRAIN]
    assert inventory["body"]["hosts"] == [BODY]
    hostvars = inventory["_meta"]["hostvars"]
    # ansible-inventory marks values from the Docker API as unsafe (never templated).
    assert hostvars[BRAIN]["private_ip_address"] in (brain_address, {"__ansible_unsafe": brain_address})


def body_processes() -> dict[str, str]:
    """What a converge must leave running as it was on the body: the engine and the team's tunnel."""
    return {"dockerd": sh(BODY, "systemctl show -p MainPID --value docker").stdout.strip(),
            "tunnel": sh(BODY, "pgrep -o -f 'socat TCP-LISTEN:8080'").stdout.strip()}


def test_second_demo_changes_nothing_and_leaves_the_tunnel_and_dockerd_alone(demo):
    before = body_processes()
    again = run(DEMO, "up")
    output = again.stdout + again.stderr
    assert again.returncode == 0, output[-4000:]
    hosts = recap(output)
    changed = {host: counters["changed"] for host, counters in hosts.items() if counters["changed"]}
    assert not changed, f"a second make demo changed something: {changed}\n{output[-4000:]}"
    assert before["dockerd"] and before["tunnel"] and body_processes() == before
    assert "tunnel" in sh(BODY, "su ubuntu -c 'screen -ls'").stdout


def test_a_no_op_under_mitogen_changes_nothing(demo):
    """The opt-in strategy (tools/with-mitogen) on the converged lab, over SSH as ubuntu with sudo."""
    result = run(PROJECT / "tools" / "with-mitogen", DEMO, "play", "site.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    # ansible-core names a strategy from outside ansible.builtin only when it loaded one.
    assert "strategy plugins not included in ansible.builtin" in " ".join(output.split()), output[:3000]
    hosts = recap(output)
    assert set(hosts) >= {BRAIN, BODY}, output[-4000:]
    assert not {host: c["changed"] for host, c in hosts.items() if c["changed"]}, output[-4000:]


CURRENT_ANSIBLE = PROJECT / ".cache" / "venv-current" / "bin"


def deprecations_from_our_files(output: str) -> list[str]:
    """Deprecation warnings whose origin is a file of this project (a collection's own are not ours to fix)."""
    text = " ".join(output.split())
    warnings = re.split(r"(?=\[DEPRECATION WARNING\]:)", text)
    ours = ("Origin: " + str(PROJECT), "roles/", "playbooks/", "site.yml", "tests/lab/", "inventory/")
    return [w[:600] for w in warnings if w.startswith("[DEPRECATION WARNING]:") and any(o in w for o in ours)]


def test_today_s_ansible_finds_the_converged_lab_unchanged_with_no_deprecation_of_ours(demo):
    """site.yml --check --diff and a no-op site.yml under ansible 14 (ansible-core 2.21), over SSH as ubuntu."""
    if not (CURRENT_ANSIBLE / "ansible-playbook").is_file():
        pytest.skip("no .cache/venv-current: the ansible-current check builds it where a Python >= 3.12 exists")
    env = dict(lab_env(), PATH=f"{CURRENT_ANSIBLE}:{os.environ['PATH']}")
    version = run(CURRENT_ANSIBLE / "ansible-playbook", "--version", env=env).stdout
    assert "core 2.21" in version, version
    for args in (("--check", "--diff"), ()):
        result = run(DEMO, "play", "site.yml", *args, env=env)
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-4000:]
        hosts = recap(output)
        assert set(hosts) >= {BRAIN, BODY}, output[-4000:]
        assert not {host: c["changed"] for host, c in hosts.items() if c["changed"]}, output[-4000:]
        assert deprecations_from_our_files(output) == [], args


def test_a_second_checkout_refuses_this_lab_before_changing_anything(demo, tmp_path):
    clone = tmp_path / "clone"
    assert run("git", "clone", "-q", PROJECT, clone).returncode == 0
    (clone / ".venv").symlink_to(PROJECT / ".venv")
    # The lab's own containers (the shared services and this demo's hosts): molecule scenarios, and another
    # demo, may start and stop theirs beside this run.
    lab_containers = ("docker", "ps", "-q", "--no-trunc", "--filter", "label=ai-stack-lab=true")
    demo_containers = ("docker", "ps", "-q", "--no-trunc", "--filter", f"label=ai-stack-lab.demo={DEMO_NAME}")
    before = run(*lab_containers).stdout.split() + run(*demo_containers).stdout.split()
    env = {k: v for k, v in lab_env().items() if not k.startswith("LAB_")}
    second = subprocess.run(["make", "-C", str(clone), "-o", ".venv/.installed", "demo"], capture_output=True,
                            text=True, timeout=600, check=False, env=env)
    output = second.stdout + second.stderr
    assert second.returncode != 0, output[-3000:]
    assert f"belongs to the checkout at {PROJECT}, whose secrets this one does not have; run `make demo-clean` there" \
        in output, output[-3000:]
    assert "401" not in output
    assert run(*lab_containers).stdout.split() + run(*demo_containers).stdout.split() == before
    assert not (clone / ".cache" / "lab" / "ssh").exists()


def test_check_mode_on_the_converged_lab_is_a_clean_drift_check(demo):
    result = run(DEMO, "play", "site.yml", "--check", "--diff")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    hosts = recap(output)
    assert hosts and not {host: c["changed"] for host, c in hosts.items() if c["changed"]}, output[-4000:]
    # The probes ran for real in check mode.
    assert report()["check_mode"] is True
    assert all(check["status"] == "OK" for check in report()["checks"]), report()["checks"]


def test_the_brain_s_health_agent_publishes_through_the_cloudwatch_agent(demo):
    """The canary's figures reach the CloudWatch agent's StatsD listener (the lab's agent logs each one it would
    publish); one canary runs every 30 s, so this waits at most for two."""
    log = "/opt/aws/amazon-cloudwatch-agent/logs/amazon-cloudwatch-agent.log"
    deadline = time.monotonic() + 70
    seen = ""
    while time.monotonic() < deadline:
        seen = sh(BRAIN, f"grep -h '^I! statsd ollama_brain' {log} || true").stdout
        if "ollama_brain.canary_ttft:" in seen and "ollama_brain.canary_tokens_per_second:" in seen:
            break
        time.sleep(5)
    assert "ollama_brain.canary_ttft:" in seen, seen
    assert "ollama_brain.canary_tokens_per_second:" in seen, seen
    assert "ollama_brain.front_door_in_flight:" in seen, seen


# The team's pipeline, as its runbook does it (run as ubuntu on the body).
PIPELINE_DEPLOY = ("docker stop talent-api && docker rm talent-api && docker run -d --name talent-api "
                   "--restart unless-stopped -p 8000:8000 --env-file ~/app/.env {image} >/dev/null")


def pipeline_deploy(env_filter: str = "") -> str:
    image = sh(BODY, "docker inspect -f '{{.Config.Image}}' talent-api").stdout.strip()
    script = PIPELINE_DEPLOY.format(image=image)
    if env_filter:
        # "Push .env through git": the pipeline writes the repository's copy, which lacks the AI keys.
        script = (f"grep -v {env_filter} ~/app/.env > ~/app/.env.git && cat ~/app/.env.git > ~/app/.env "
                  f"&& rm ~/app/.env.git && {script}")
    deployed = sh(BODY, f"su - ubuntu -c '{script}'", timeout=120)
    assert deployed.returncode == 0, deployed.stderr
    for _ in range(60):
        if sh(BODY, "curl -fs http://127.0.0.1:8000/health").returncode == 0:
            break
        time.sleep(1)
    return sh(BODY, "docker inspect -f '{{.Id}}' talent-api").stdout.strip()


def test_a_converge_after_the_pipeline_redeployed_changes_nothing(demo):
    container = pipeline_deploy()
    result = run(DEMO, "play", "site.yml", "--tags", "body")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert recap(output)[BODY]["changed"] == 0, output[-4000:]
    assert sh(BODY, "docker inspect -f '{{.Id}}' talent-api").stdout.strip() == container


def test_a_pipeline_deploy_that_lost_the_ai_keys_is_reported_then_restored(demo):
    pipeline_deploy(env_filter="^AI_")
    verify = run(DEMO, "play", "site.yml", "--tags", "verify")
    output = " ".join((verify.stdout + verify.stderr).split())
    assert verify.returncode != 0, output[-4000:]
    drift = next(check for check in report()["checks"] if check["name"] == "backend container runs with the brain settings")
    assert drift["status"] == "FAIL"
    assert drift["value"].startswith("talent-api runs without the brain settings (AI_PROVIDER=unset, AI_BASE_URL=unset")
    assert "run `ansible-playbook site.yml --tags body` to put them back" in drift["value"]
    converge = run(DEMO, "play", "site.yml", "--tags", "body,verify")
    assert converge.returncode == 0, (converge.stdout + converge.stderr)[-4000:]
    assert "AI_PROVIDER=ollama" in sh(BODY, "cat /home/ubuntu/app/.env").stdout
    assert all(check["status"] == "OK" for check in report()["checks"]), report()["checks"]


def test_one_phase_reruns_alone(demo):
    """A phase tag runs that phase (and its preflight) alone, facts included, changing nothing."""
    result = run(DEMO, "play", "playbooks/brain.yml", "--tags", "ollama_brain-warmup")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Load the warm models now, as the backend will use them" in output
    assert "Install the packages the release and the service need" not in output
    hosts = recap(output)
    assert set(hosts) == {BRAIN}, hosts
    assert hosts[BRAIN]["changed"] == 0, output[-4000:]


def test_backend_is_warm_after_the_brain_service_restarts(demo, token, brain_address):
    """Restart drill without Ansible: restart ollama, the warm-up unit reloads the model on its own."""
    assert sh(BRAIN, "systemctl restart ollama.service").returncode == 0
    # The warm-up unit is part of ollama.service and restarts with it.
    wait_warm(BRAIN, BODY, brain_address)
    assert_warm_through_backend(BRAIN, BODY, brain_address, token, "gemma3:4b")


def test_failover_drill_passes_and_restores(demo):
    result = run(VENV_BIN / "ansible-playbook", "-i", INVENTORY, PROJECT / "playbooks" / "failover_drill.yml")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "While the brain is down: answered by gemini" in output
    assert "After the restore: answered by ollama" in output
    assert sh(BRAIN, "systemctl is-active -q ollama").returncode == 0
