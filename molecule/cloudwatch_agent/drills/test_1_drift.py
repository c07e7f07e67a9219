"""What the agent role manages, changed by hand: check mode names each change, the next run puts it back.

Each kind of the role's wanted state (roles/cloudwatch_agent/vars/main.yml,
_cloudwatch_agent_wanted_state) has a case, and check mode must name it (`-v`
prints host_state's differences): a kind host_state did not compare would go
unnamed. The removed package is a batch of its own: without the agent, check
mode takes the fresh host's path (it can only say what a run would do), which
would hide whether the installed host's path renders the configuration's diff.
"""

import json

import pytest
import yaml
from lab_helpers import PROJECT, recap, run_playbook, scenario_dir

testinfra_hosts = ["ansible://cwa-brain?sudo=true"]
CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
MARKER = "/var/cache/cloudwatch-agent/installed-package"
SERVICE = "amazon-cloudwatch-agent.service"

# name -> (batch, kind in the wanted state, change by hand, what check mode names, test that it was put back)
CASES = {
    "config-content": (1, "files", f"echo '# edited by hand' >> {CONFIG}", f"{CONFIG}: content differs",
                       f"! grep -q 'edited by hand' {CONFIG}"),
    "marker-mode": (1, "files", f"chmod 0600 {MARKER}", f"{MARKER}: mode is 0600, not 0644",
                    f"test $(stat -c %a {MARKER}) = 644"),
    "service-stopped": (1, "services", f"systemctl stop {SERVICE}", f"{SERVICE}: inactive, not active",
                        f"systemctl is-active -q {SERVICE}"),
    "package-removed": (2, "packages", "dpkg -r amazon-cloudwatch-agent", "package amazon-cloudwatch-agent: not installed",
                        "dpkg-query -W -f '${db:Status-Status}' amazon-cloudwatch-agent | grep -qx installed && "
                        f"systemctl is-active -q {SERVICE}"),
}
# What host_state reads for preflight: whether the agent's control script is there (a fresh host in check mode).
READS = {"exists"}


def converge(*args: str) -> tuple[dict, str]:
    result = run_playbook(scenario_dir() / "converge.yml", *args)
    assert result.returncode == 0, result.stdout[-3000:]
    return recap(result.stdout)["cwa-brain"], result.stdout


def test_every_kind_of_wanted_state_has_a_case():
    wanted = yaml.safe_load((PROJECT / "roles/cloudwatch_agent/vars/main.yml").read_text())["_cloudwatch_agent_wanted_state"]
    assert set(wanted) - READS == {kind for _batch, kind, _change, _named, _restored in CASES.values()}


@pytest.mark.parametrize("batch", [1, 2])
def test_check_mode_names_each_change_and_the_next_run_puts_it_back(host, batch):
    mine = {name: case for name, case in CASES.items() if case[0] == batch}
    for name, (_batch, _kind, change, _named, _restored) in mine.items():
        result = host.run(change)
        assert result.rc == 0, f"{name}: {result.stdout} {result.stderr}"
    counts, output = converge("--check", "--diff", "-v")
    assert counts["changed"] > 0, "check mode reported no change"
    # The YAML callback may fold a long sentence over lines.
    output = " ".join(output.split())
    unnamed = [name for name, (_b, _k, _c, named, _r) in mine.items() if named not in output]
    assert unnamed == [], f"check mode did not name {unnamed}"
    changed = [name for name, (_b, _k, _c, _n, restored) in mine.items() if host.run(restored).rc == 0]
    assert changed == [], f"check mode changed the host: {changed}"

    counts, _output = converge()
    assert counts["changed"] > 0
    left = [name for name, (_b, _k, _c, _n, restored) in mine.items() if host.run(restored).rc != 0]
    assert left == [], f"the run did not put back {left}"


def test_a_run_after_that_changes_nothing():
    counts, _output = converge()
    assert counts["changed"] == 0, json.dumps(counts)
