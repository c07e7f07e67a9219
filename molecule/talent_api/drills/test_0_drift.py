"""What the body role manages, changed by hand at once: check mode names each change, one run puts all of it back.

Each kind of the body's wanted state (roles/talent_api/vars/main.yml,
_talent_api_wanted_state) has a case, and check mode must name it (`-v` prints
host_state's differences): a kind host_state did not compare would go unnamed.
The container is compared by Docker itself (the role's plan), so its case is
named by the plan's report. A removed Python library also means check mode
cannot ask Docker: it says what a run would do, and the run installs it.

The stopped engine is a batch of its own: with the engine down, check mode can
only say what a run would do, which would hide whether the plan saw the
removed container.
"""

import json

import pytest
from lab_helpers import drift_is_named_then_put_back, kinds_off_the_cases, scenario_converge, wanted_state

testinfra_hosts = ["ansible://tapi-body?sudo=true"]
ENV_FILE = "/home/ubuntu/app/.env"
CA = "/etc/docker/certs.d/*/ca.crt"

# As lab_helpers.drift_is_named_then_put_back reads them; the container is compared by Docker (kind None).
CASES = {
    "env-file-group": (1, "env_files", f"chgrp root {ENV_FILE}", f"{ENV_FILE}: group is root, not ubuntu",
                       f"test $(stat -c %G {ENV_FILE}) = ubuntu"),
    "env-file-key": (1, "env_files", f"sed -i 's/^AI_PROVIDER=.*/AI_PROVIDER=gemini/' {ENV_FILE}",
                     f"{ENV_FILE}: keys differ from the wanted ones", f"grep -qx 'AI_PROVIDER=ollama' {ENV_FILE}"),
    "registry-ca": (1, "files", f"for f in {CA}; do echo '# edited by hand' >> $f; done", "ca.crt: content differs",
                    f"! grep -q 'edited by hand' {CA}"),
    "registry-login": (1, "registry_logins", "HOME=/root docker logout $(ls /etc/docker/certs.d)",
                       ": not logged in as", "grep -q \"$(ls /etc/docker/certs.d)\" /root/.docker/config.json"),
    "container-removed": (1, None, "docker rm -f talent-api", "talent-api would be (re)created from",
                          "test $(docker inspect -f '{{.State.Running}}' talent-api) = true"),
    # Last in its batch: the docker CLI above does not need it, community.docker does.
    "python-library-removed": (1, "packages", "dpkg -r python3-docker", "package python3-docker: not installed",
                               "dpkg-query -W -f '${db:Status-Status}' python3-docker | grep -qx installed"),
    "engine-stopped": (2, "services", "systemctl stop docker.socket docker.service",
                       "docker.service: inactive, not active",
                       "systemctl is-active -q docker.service && "
                       "test $(docker inspect -f '{{.State.Running}}' talent-api) = true"),
}
# What host_state reads for preflight, not what the role writes: the deploy user is the pipeline's
# (a missing one is refused, test_2_failures.py), and an engine is installed only on a host that has none.
READS = {"accounts", "exists"}


converge = scenario_converge("tapi-body")


def test_every_kind_of_wanted_state_has_a_case():
    assert kinds_off_the_cases(wanted_state("talent_api"), CASES, READS) == set()


@pytest.mark.parametrize("batch", [1, 2])
def test_check_mode_names_each_change_and_the_next_run_puts_it_back(host, batch):
    drift_is_named_then_put_back(host, {name: case for name, case in CASES.items() if case[0] == batch}, converge)


def test_a_run_after_that_changes_nothing():
    counts, _output = converge()
    assert counts["changed"] == 0, json.dumps(counts)
