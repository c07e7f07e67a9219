"""What the body role manages, changed by hand: check mode reports it, the next run puts it back, then a no-op.

Each kind the body's host_state compares that the brain's drift drill cannot
cover: the env file's group (compared with the deploy user's primary group)
and one of its keys, the registry's CA certificate, root's registry login; and
a container removed behind the role's back (the role's plan sees it missing
and creates it again from the env file); and the Docker engine stopped (check
mode cannot ask it, so it says what a run would do; the run starts it, and the
container with it).
"""

import json

import pytest
from lab_helpers import recap, run_playbook, scenario_dir

testinfra_hosts = ["ansible://tapi-body?sudo=true"]
ENV_FILE = "/home/ubuntu/app/.env"

CA = "/etc/docker/certs.d/*/ca.crt"
# name -> (change by hand, test that it was put back)
CASES = {
    "env-file-group": (f"chgrp root {ENV_FILE}", f"test $(stat -c %G {ENV_FILE}) = ubuntu"),
    "env-file-key": (f"sed -i 's/^AI_PROVIDER=.*/AI_PROVIDER=gemini/' {ENV_FILE}", f"grep -qx 'AI_PROVIDER=ollama' {ENV_FILE}"),
    "registry-ca": (f"for f in {CA}; do echo '# edited by hand' >> $f; done", f"! grep -q 'edited by hand' {CA}"),
    "registry-login": ("HOME=/root docker logout $(ls /etc/docker/certs.d)",
                       "grep -q \"$(ls /etc/docker/certs.d)\" /root/.docker/config.json"),
    "container-removed": ("docker rm -f talent-api",
                          "test $(docker inspect -f '{{.State.Running}}' talent-api) = true"),
    "engine-stopped": ("systemctl stop docker.socket docker.service",
                       "systemctl is-active -q docker.service && "
                       "test $(docker inspect -f '{{.State.Running}}' talent-api) = true"),
}


def converge(*args: str) -> dict:
    result = run_playbook(scenario_dir() / "converge.yml", *args)
    assert result.returncode == 0, result.stdout[-3000:]
    return recap(result.stdout)["tapi-body"]


@pytest.mark.parametrize("case", list(CASES))
def test_check_mode_reports_the_change_and_the_next_run_puts_it_back(host, case):
    change, restored = CASES[case]
    result = host.run(change)
    assert result.rc == 0, result.stderr
    assert converge("--check", "--diff")["changed"] > 0, f"{case}: check mode reported no change"
    assert host.run(restored).rc != 0, f"{case}: check mode changed the host"
    assert converge()["changed"] > 0
    assert host.run(restored).rc == 0, f"{case}: the run did not put it back"


def test_a_run_after_that_changes_nothing():
    counts = converge()
    assert counts["changed"] == 0, json.dumps(counts)
