"""The rig boots real systemd hosts that Ansible can converge."""

from lab_helpers import ad_hoc, recap, run_playbook, scenario_dir, system_state


def test_systemd_booted(host):
    assert system_state(host) in ("running", "degraded")
    assert host.process.get(pid=1).comm == "systemd"


def test_marker_written(host):
    marker = host.file("/etc/lab-smoke")
    assert marker.mode == 0o644
    assert marker.content_string == "converged on Debian 12\n"


def test_host_has_what_roles_need(host):
    for tool in ("python3", "sudo", "ip", "curl", "nft", "zstd"):
        assert host.exists(tool), tool


def test_check_mode_on_converged_host_changes_nothing():
    result = run_playbook(scenario_dir() / "converge.yml", "--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(c["changed"] == 0 for c in recap(result.stdout).values()), result.stdout


def test_ansible_logs_in_as_ubuntu_and_needs_become_for_root():
    """As on AWS: the login user is ubuntu, root only through sudo, so a missing `become` fails."""
    assert "ubuntu" in ad_hoc("smoke-host", "-m", "ansible.builtin.command", "-a", "id -un").stdout.split()
    assert "root" in ad_hoc("smoke-host", "--become", "-m", "ansible.builtin.command", "-a", "id -un").stdout.split()
    denied = ad_hoc("smoke-host", "-m", "ansible.builtin.copy", "-a", "dest=/etc/lab-no-become content=x mode=0644")
    assert denied.returncode != 0 and "Destination /etc not writable" in denied.stdout, denied.stdout
