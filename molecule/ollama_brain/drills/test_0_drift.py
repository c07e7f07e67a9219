"""Everything the role manages, changed by hand at once: check mode names each change, one run puts all of it back.

A re-run skips install and configure only when host_state finds nothing to do,
so each kind of thing it compares has a case here, and check mode must name it
(`-v` prints host_state's differences): a kind host_state did not compare would
go unnamed. Models and warmth are compared live on every run (models.yml,
warmup.yml), so their cases only have to be repaired.

Changes go in two batches because stopping the firewall unit also unloads its
table: the deleted table must be found while the unit is still active.
"""

import json

import pytest
from lab_helpers import drift_is_named_then_put_back, kinds_off_the_cases, scenario_converge, wanted_state

testinfra_hosts = ["ansible://lab-brain?sudo=true"]

UNIT = "/etc/systemd/system/ollama.service"
DROPIN = "/etc/systemd/system/ollama.service.d/override.conf"
MODELS = "/usr/share/ollama/.ollama/models"
LINK = "/usr/local/bin/ollama"
FRONT_DOOR = "/etc/ollama/front-door.cfg"
AGENT = "/usr/local/libexec/ollama-health"
NFT = "/etc/ollama/firewall.nft"
FIREWALL_UNIT = "/etc/systemd/system/ollama-firewall.service"
MODEL = "gemma3:4b"


def cases(url: str) -> dict:
    """name -> (batch, kind, change by hand, what check mode names ('' when compared live), test that it was put back).

    The kind is the key, in a part of the wanted state (roles/ollama_brain/vars/main.yml, _ollama_brain_wanted_state),
    the change drifts from; None when it is compared live on every run, not by host_state.
    """
    model = json.dumps({"model": MODEL, "keep_alive": 0})
    return {
        "unit-content": (1, "files", f"echo '# edited by hand' >> {UNIT}", f"{UNIT}: content differs",
                         f"! grep -q 'edited by hand' {UNIT}"),
        "dropin-mode": (1, "files", f"chmod 0600 {DROPIN}", f"{DROPIN}: mode is 0600, not 0644",
                        f"test $(stat -c %a {DROPIN}) = 644"),
        "link-target": (1, "links",
                        f"ln -sfn /opt/ollama/$(ls /opt/ollama | sort -V | grep -v previous | tail -1)/bin/../bin/ollama "
                        f"{LINK}", f"{LINK}: points at", f"readlink {LINK} | grep -vq '/bin/../bin/'"),
        # Renamed over it, as a package manager or an attacker would (a running binary cannot be written in place).
        "release-binary-replaced": (1, "trees", "B=$(readlink -f /usr/local/bin/ollama); cp /bin/true $B.new && mv $B.new $B",
                                    "bin/ollama: changed since the release was unpacked",
                                    "! cmp -s /bin/true $(readlink -f /usr/local/bin/ollama)"),
        "old-release": (1, "extra", "mkdir -p /opt/ollama/0.0.1/bin", "/opt/ollama/0.0.1: no longer wanted",
                        "test ! -e /opt/ollama/0.0.1"),
        "models-dir-owner": (1, "directories", f"chown root:root {MODELS}", f"{MODELS}: owner is root, not ollama",
                             f"test $(stat -c %U {MODELS}) = ollama"),
        "stale-warmup-request": (1, "extra", "echo '{}' > /etc/ollama/warmup.d/old_model.json",
                                 "/etc/ollama/warmup.d/old_model.json: no longer wanted",
                                 "test ! -e /etc/ollama/warmup.d/old_model.json"),
        "warmup-unit-disabled": (1, "services", "systemctl disable ollama-warmup.service",
                                 "ollama-warmup.service: disabled, not enabled", "systemctl is-enabled ollama-warmup.service"),
        "firewall-table-deleted": (1, "services", "nft delete table inet ollama_brain",
                                   "ollama-firewall.service: active, but table inet ollama_brain is not loaded",
                                   "nft list table inet ollama_brain"),
        # Through the API while the service still runs (the service is stopped further down the batch).
        "model-unloaded": (1, None, f"curl -fsS -m 30 {url}/api/generate -d '{model}'", "",
                           f"curl -fsS -m 10 {url}/api/ps | grep -q '{MODEL}'"),
        "model-deleted": (1, None, f"curl -fsS -m 30 -X DELETE {url}/api/delete -d '{json.dumps({'model': MODEL})}'", "",
                          f"curl -fsS -m 10 {url}/api/tags | grep -q '{MODEL}'"),
        "service-stopped": (1, "services", "systemctl stop ollama.service", "ollama.service: inactive, not active",
                            "systemctl is-active ollama.service"),
        "front-door-config": (1, "files", f"echo '# edited by hand' >> {FRONT_DOOR}", f"{FRONT_DOOR}: content differs",
                              f"! grep -q 'edited by hand' {FRONT_DOOR}"),
        "front-door-stopped": (1, "services", "systemctl stop ollama-front-door.service",
                               "ollama-front-door.service: inactive, not active",
                               "systemctl is-active ollama-front-door.service"),
        "health-agent-replaced": (1, "files", f"echo '# edited by hand' >> {AGENT}", f"{AGENT}: content differs",
                                  f"! grep -q 'edited by hand' {AGENT}"),
        "health-agent-disabled": (2, "services", "systemctl disable --now ollama-health.service",
                                  "ollama-health.service: disabled, not enabled",
                                  "systemctl is-enabled ollama-health.service && systemctl is-active ollama-health.service"),
        "firewall-stopped": (2, "services", "systemctl stop ollama-firewall.service",
                             "ollama-firewall.service: inactive, not active", "systemctl is-active ollama-firewall.service"),
        # Also needed to unpack the replaced binary's release again: the packages come back first.
        "package-removed": (1, "packages", "dpkg -r zstd", "package zstd: not installed",
                            "dpkg-query -W -f '${db:Status-Status}' zstd | grep -qx installed"),
        "account-shell": (1, "users", "usermod -s /bin/bash ollama", "user ollama: shell is /bin/bash, not /bin/false",
                          'test "$(getent passwd ollama | cut -d: -f7)" = /bin/false'),
    }


# Kinds no case above changes, and why.
ELSEWHERE = {
    "absent": "test_turning_the_firewall_off_removes_it_and_a_file_of_it_put_back_is_named_and_removed",
    "groups": "the users case: the group is its user's primary group, which cannot be removed while the user exists",
}
# What host_state reads for preflight besides the wanted state.
READS = {"exists", "read", "free_space", "memory_limit"}


def test_every_kind_of_wanted_state_has_a_case():
    kinds = {kind for part in wanted_state("ollama_brain")["parts"].values() for kind in part}
    assert kinds_off_the_cases(kinds, cases(""), READS | set(ELSEWHERE)) == set()


converge = scenario_converge("lab-brain", "--limit", "lab-brain")


@pytest.fixture(scope="module")
def all_cases(host):
    # Ollama itself, on the brain's loopback: its front door refuses model management from anywhere.
    return cases("http://127.0.0.1:11435")


@pytest.mark.parametrize("batch", [1, 2])
def test_check_mode_names_each_change_and_the_next_run_puts_it_back(host, all_cases, batch):
    drift_is_named_then_put_back(host, {name: case for name, case in all_cases.items() if case[0] == batch}, converge)


def test_turning_the_firewall_off_removes_it_and_a_file_of_it_put_back_is_named_and_removed(host):
    """The firewall's files are the wanted state's `absent` kind once it is turned off (as -e types it: a string).

    Turned back on at the end; the next test's run proves that one run put it all back.
    """
    off = ("-e", "ollama_brain_firewall_enabled=false")
    counts, output = converge(*off)
    assert counts["changed"] > 0
    assert "WARNING: ollama_brain_firewall_enabled is false" in " ".join(output.split())
    assert host.run("nft list table inet ollama_brain").rc != 0
    assert not host.file(NFT).exists and not host.file(FIREWALL_UNIT).exists
    assert host.run(f"echo '# put back by hand' > {NFT}").rc == 0
    counts, output = converge(*off, "--check", "--diff", "-v")
    assert counts["changed"] > 0 and f"{NFT}: still present" in " ".join(output.split()), output[-3000:]
    assert host.file(NFT).exists
    counts, _output = converge(*off)
    assert counts["changed"] > 0 and not host.file(NFT).exists
    # Back on for the drills after this one.
    counts, _output = converge()
    assert counts["changed"] > 0
    assert host.run("nft list table inet ollama_brain").rc == 0


def test_a_run_after_that_changes_nothing(host):
    """After the drift batches were put back and the firewall turned on again."""
    counts, _output = converge()
    assert counts["changed"] == 0, json.dumps(counts)


# part -> a change by hand that only that part puts back.
PART_DRIFTS = {
    "warmup_files.yml": "systemctl disable ollama-warmup.service",
    # A file that restarts nothing when it is put back: the drill is about which part runs, not about restarts.
    "configure.yml": "chmod 0700 /usr/local/libexec/ollama-verify-unit",
    "install.yml": "mkdir -p /opt/ollama/0.0.1/bin",
}


def test_a_drift_in_one_part_runs_that_part_alone_and_puts_it_back(host):
    """host_state names the parts that differ (_ollama_brain_wanted_state.parts); the others are skipped.

    One part after another on the same host: a part left drifted would be run again with the next one (and
    named here), and the last run must change nothing.
    """
    parts = set(PART_DRIFTS)
    for part, change in PART_DRIFTS.items():
        assert host.run(change).rc == 0
        counts, output = converge()
        assert counts["changed"] > 0, part
        included = {name for name in parts if f"/tasks/{name} for lab-brain" in output}
        assert included == {part}, f"after a drift in {part} the run included {included}"
    assert converge()[0]["changed"] == 0
