"""The agent installed from a verified package, configured for the aws_stack alarms, running."""

import json

from lab_helpers import recap, run_playbook, scenario_dir

CONFIG = "/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.json"
CTL = "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl"


def test_package_installed_and_service_running(host):
    assert host.package("amazon-cloudwatch-agent").is_installed
    service = host.service("amazon-cloudwatch-agent")
    assert service.is_running and service.is_enabled
    assert json.loads(host.check_output(f"{CTL} -a status")) == {
        "status": "running", "configstatus": "configured", "version": "1.300057.0-lab1"}


def test_configuration_publishes_what_the_alarms_read(host):
    config = json.loads(host.file(CONFIG).content_string)
    metrics = config["metrics"]
    assert metrics["namespace"] == "CWAgent"
    assert metrics["aggregation_dimensions"] == [["InstanceId"]]
    assert metrics["metrics_collected"]["mem"]["measurement"] == ["mem_used_percent"]
    assert metrics["metrics_collected"]["disk"]["measurement"] == ["used_percent"]
    assert metrics["metrics_collected"]["disk"]["resources"] == ["/"]
    assert metrics["metrics_collected"]["procstat"] == [{"pattern": "ollama serve", "measurement": ["cpu_usage", "memory_rss"]}]
    # The brain's health agent sends its canary, front door and watchdog metrics here (StatsD).
    assert metrics["metrics_collected"]["statsd"]["service_address"] == "127.0.0.1:8125"
    assert host.socket("udp://127.0.0.1:8125").is_listening
    loaded = host.file("/opt/aws/amazon-cloudwatch-agent/etc/amazon-cloudwatch-agent.d/file_amazon-cloudwatch-agent.json")
    assert loaded.content_string == host.file(CONFIG).content_string


def test_check_mode_on_converged_host_changes_nothing():
    result = run_playbook(scenario_dir() / "converge.yml", "--check")
    assert result.returncode == 0, result.stdout[-2000:]
    assert recap(result.stdout)["cwa-brain"]["changed"] == 0
