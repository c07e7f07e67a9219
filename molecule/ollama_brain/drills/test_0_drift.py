"""A re-run skips install and configure only when host_state finds nothing to do.

Each case changes one kind of thing the role manages, by hand, and checks that
the next run notices it and puts it back; a kind host_state did not compare
would stay changed here.
"""

import json

import pytest
from lab_helpers import recap, run_playbook, scenario_dir

testinfra_hosts = ["ansible://lab-brain?sudo=true"]

UNIT = "/etc/systemd/system/ollama.service"
DROPIN = "/etc/systemd/system/ollama.service.d/override.conf"


def converge() -> dict:
    result = run_playbook(scenario_dir() / "converge.yml", "--limit", "lab-brain")
    assert result.returncode == 0, result.stdout[-3000:]
    return recap(result.stdout)["lab-brain"]


@pytest.fixture(scope="module", autouse=True)
def in_place():
    assert converge()["failed"] == 0


# (tamper command, command that succeeds once the role has put things back)
CASES = {
    "unit-content": (f"echo '# edited by hand' >> {UNIT}", f"! grep -q 'edited by hand' {UNIT}"),
    "dropin-mode": (f"chmod 0600 {DROPIN}", f"test $(stat -c %a {DROPIN}) = 644"),
    "link-target": ("ln -sfn /opt/ollama/$(ls /opt/ollama | sort -V | grep -v previous | tail -1)/bin/../bin/ollama "
                    "/usr/local/bin/ollama",
                    "readlink /usr/local/bin/ollama | grep -vq '/bin/../bin/'"),
    "models-dir-owner": ("chown root:root /usr/share/ollama/.ollama/models",
                         "test $(stat -c %U /usr/share/ollama/.ollama/models) = ollama"),
    "stale-warmup-request": ("echo '{}' > /etc/ollama/warmup.d/old_model.json", "test ! -e /etc/ollama/warmup.d/old_model.json"),
    "warmup-unit-disabled": ("systemctl disable ollama-warmup.service", "systemctl is-enabled ollama-warmup.service"),
    "firewall-stopped": ("systemctl stop ollama-firewall.service", "systemctl is-active ollama-firewall.service"),
    "firewall-table-deleted": ("nft delete table inet ollama_brain", "nft list table inet ollama_brain"),
    "service-stopped": ("systemctl stop ollama.service", "systemctl is-active ollama.service"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_next_run_puts_back_what_was_changed_by_hand(host, case):
    tamper, restored = CASES[case]
    host.run_expect([0], tamper)
    counts = converge()
    assert counts["changed"] > 0, f"{case}: the run did not notice the change"
    assert host.run(restored).rc == 0, f"{case}: the run did not put it back"


def test_a_run_after_that_changes_nothing(host):
    counts = converge()
    assert counts["changed"] == 0, json.dumps(counts)
