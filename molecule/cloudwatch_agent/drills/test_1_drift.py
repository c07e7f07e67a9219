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
from lab_helpers import drift_is_named_then_put_back, kinds_off_the_cases, scenario_converge, wanted_state

testinfra_hosts = ["ansible://cwa-brain?sudo=true"]
CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
MARKER = "/var/cache/cloudwatch-agent/installed-package"
SERVICE = "amazon-cloudwatch-agent.service"

# As lab_helpers.drift_is_named_then_put_back reads them.
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


converge = scenario_converge("cwa-brain")


def test_every_kind_of_wanted_state_has_a_case():
    assert kinds_off_the_cases(wanted_state("cloudwatch_agent"), CASES, READS) == set()


@pytest.mark.parametrize("batch", [1, 2])
def test_check_mode_names_each_change_and_the_next_run_puts_it_back(host, batch):
    drift_is_named_then_put_back(host, {name: case for name, case in CASES.items() if case[0] == batch}, converge)


def test_a_run_after_that_changes_nothing():
    counts, _output = converge()
    assert counts["changed"] == 0, json.dumps(counts)
