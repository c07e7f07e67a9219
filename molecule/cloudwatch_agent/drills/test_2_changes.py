"""Changes and refusals on the converged agent host: a config change reloads it, bad checksums change nothing."""

import json

from lab_helpers import run_playbook, scenario_dir

CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"


def test_config_change_reloads_the_agent(host):
    before = host.run("systemctl show -p MainPID amazon-cloudwatch-agent").stdout
    result = run_playbook(scenario_dir() / "converge.yml", "-e", "cloudwatch_agent_interval=30")
    assert result.returncode == 0, result.stdout[-2000:]
    assert json.loads(host.file(CONFIG).content_string)["agent"]["metrics_collection_interval"] == 30
    assert host.run("systemctl show -p MainPID amazon-cloudwatch-agent").stdout != before
    assert run_playbook(scenario_dir() / "converge.yml").returncode == 0


def test_wrong_checksum_is_refused_before_install(host):
    result = run_playbook(scenario_dir() / "converge.yml", "-e", "cloudwatch_agent_package_checksum=sha256:" + "0" * 64)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "did not match" in output, output[-2000:]
    assert host.service("amazon-cloudwatch-agent").is_running


def test_missing_checksum_is_refused():
    result = run_playbook(scenario_dir() / "converge.yml", "-e", "cloudwatch_agent_package_checksum=''")
    assert result.returncode != 0
    assert ("cloudwatch_agent_package_checksum is '', which is not the package's checksum; write one such as "
            "sha256:<64 hex digits>") in " ".join((result.stdout + result.stderr).split())
