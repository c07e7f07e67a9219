"""site.yml through inventory/aws_ec2.yml, the inventory file users run.

The instances are provisioned on moto_server (by site.yml's own provision
phase) and each is backed by a lab container named by its instance id, on a
Docker network that has the VPC's address range, at the instance's private
IP. Only the endpoint, credentials and connection settings differ from a real
run. Ends with the reboot drill: the brain host restarts and the first request
through the backend is warm, with no Ansible run in between.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from lab_rig import PROJECT, VENV_BIN, assert_warm_through_backend, inventory_host, lab_env, recap, rig_containers, run, wait_warm
from moto_rig import AMI_PARAMETER, Moto, launch_instance, moto_server, seed_account

NETWORK = "ai-stack-lab-vpc"
RIG = rig_containers()
LABEL = "ai-stack-lab.aws=true"
LAB_VARS = PROJECT / "tests" / "lab" / "aws" / "inventory"


def docker(*args: str) -> str:
    result = run("docker", *args, timeout=300)
    assert result.returncode == 0, f"docker {' '.join(args)}: {result.stderr}"
    return result.stdout.strip()


def remove_lab() -> None:
    """This module's hosts and VPC network; the shared services only leave that network (others use them)."""
    for container in run("docker", "ps", "-aq", "--filter", f"label={LABEL}").stdout.split():
        run("docker", "rm", "-f", "-v", container)
    for container in RIG:
        run("docker", "network", "disconnect", "--force", NETWORK, container)
    run("docker", "network", "rm", NETWORK)


@dataclass
class Stack:
    moto: Moto
    hosts: dict[str, dict]  # instance id -> {"name", "role", "ip"}

    def env(self) -> dict[str, str]:
        return dict(lab_env(), **self.moto.env())

    def play(self, playbook: str, *args: str) -> subprocess.CompletedProcess:
        return run(VENV_BIN / "ansible-playbook", "-i", "inventory/aws_ec2.yml", "-i", LAB_VARS, playbook,
                   "-e", f"aws_stack_brain_ami_parameter={AMI_PARAMETER}", *args, env=self.env())

    def container(self, role: str) -> str:
        (instance,) = [i for i, host in self.hosts.items() if host["role"] == role]
        return instance


@pytest.fixture(scope="module")
def vpc_range() -> Iterator[str]:
    """A free address range chosen by Docker (never hard-coded), kept for the VPC and its network.

    The hosts have only this network, as an instance has only its VPC: their default
    route, and so the brain's default listen address, is the instance's private IP.
    """
    remove_lab()
    docker("network", "create", "--label", LABEL, NETWORK)
    subnet = docker("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", NETWORK)
    # Fixed addresses (--ip) need a network whose range was given explicitly. Docker's own
    # picks come from the upper half; moto hands out instance addresses from the bottom.
    docker("network", "rm", NETWORK)
    upper = list(ipaddress.ip_network(subnet).subnets(prefixlen_diff=1))[1]
    docker("network", "create", "--label", LABEL, "--subnet", subnet, "--ip-range", str(upper), NETWORK)
    lab_env(refresh=True)
    # The release mirror and the registry join the VPC under the names the lab's settings use.
    for container, alias in RIG.items():
        docker("network", "connect", "--alias", alias, NETWORK, container)
    try:
        yield subnet
    finally:
        remove_lab()


@pytest.fixture(scope="module")
def stack(vpc_range, tmp_path_factory) -> Iterator[Stack]:
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as moto:
        account = seed_account(moto, vpc_range, vpc_range)
        # A host in the VPC that is not the body: verify proves it cannot reach the brain.
        ec2 = moto.client("ec2")
        default_sg = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [account.vpc_id]},
                                                          {"Name": "group-name", "Values": ["default"]}])
        launch_instance(moto, account.subnet_id, default_sg["SecurityGroups"][0]["GroupId"],
                        {"Name": "ai-chatbot-jump", "Project": "ai-chatbot", "Role": "outsiders"})
        stack = Stack(moto, {})
        provision = stack.play("site.yml", "--tags", "provision", "-e", "ai_stack_provision=true")
        assert provision.returncode == 0, (provision.stdout + provision.stderr)[-4000:]

        kinds = {"brain": "brain", "body": "body", "outsiders": "outsider"}
        for reservation in ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running"]}])[
                "Reservations"]:
            for instance in reservation["Instances"]:
                tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
                stack.hosts[instance["InstanceId"]] = {"name": tags["Name"], "role": tags["Role"],
                                                       "ip": instance["PrivateIpAddress"]}
        for instance, host in stack.hosts.items():
            started = run(PROJECT / "tests" / "lab" / "host-up.sh", instance, kinds[host["role"]], "--network", NETWORK,
                          "--ip", host["ip"], "--label", LABEL, timeout=300)
            assert started.returncode == 0, started.stderr
        yield stack


@pytest.fixture(scope="module")
def converged(stack) -> subprocess.CompletedProcess:
    handbuilt = stack.play("tests/lab/playbooks/handbuilt.yml")
    assert handbuilt.returncode == 0, (handbuilt.stdout + handbuilt.stderr)[-4000:]
    return stack.play("site.yml", "-e", "ai_stack_provision=true")


def test_provisioned_instances_have_the_ec2_inventory_groups(stack):
    roles = sorted(host["role"] for host in stack.hosts.values())
    assert roles == ["body", "brain", "outsiders"], stack.hosts
    listed = run(VENV_BIN / "ansible-inventory", "-i", "inventory/aws_ec2.yml", "--list", env=stack.env())
    assert listed.returncode == 0, listed.stderr[-2000:]
    inventory = json.loads(listed.stdout)
    assert inventory["brain"]["hosts"] == ["ai-chatbot-prod-brain"]
    assert inventory["body"]["hosts"] == ["talent-api"]


def test_hosts_are_reached_as_the_ec2_inventory_says_over_ssh_as_ubuntu(stack, converged):
    for host in stack.hosts.values():
        hostvars = inventory_host(host["name"], "inventory/aws_ec2.yml", LAB_VARS, env=stack.env())
        assert (hostvars["ansible_connection"], hostvars["ansible_user"], hostvars["ansible_host"]) == (
            "ssh", "ubuntu", host["ip"]), hostvars
    for role in ("brain", "body"):
        journal = run("docker", "exec", stack.container(role), "journalctl", "--no-pager", "-u", "ssh").stdout
        assert "Accepted publickey for ubuntu" in journal
    owned = run("docker", "exec", stack.container("body"), "stat", "-c", "%U %a", "/home/ubuntu/app",
                "/home/ubuntu/app/.env").stdout.split("\n")
    assert owned[0].startswith("ubuntu ") and owned[1] == "ubuntu 600", owned


def test_site_converges_through_the_ec2_inventory_and_verifies_green(stack, converged):
    output = converged.stdout + converged.stderr
    assert converged.returncode == 0, output[-4000:]
    hosts = recap(output)
    assert {"localhost", "ai-chatbot-prod-brain", "talent-api"} <= set(hosts), hosts
    assert all(c["failed"] == 0 and c["unreachable"] == 0 for c in hosts.values()), hosts
    # Provisioning ran again inside site.yml and found nothing to change.
    assert hosts["localhost"]["changed"] == 0, output[-4000:]
    checks = json.loads((PROJECT / "reports" / "verify-talent-api.json").read_text())["checks"]
    assert checks and not [check for check in checks if check["status"] == "FAIL"], checks
    # Only the tunnel is not configured here; the report says so rather than OK.
    assert {check["name"] for check in checks if check["status"] == "SKIP"} == {
        "tunnel process runs", "tunnel answers /health"}, checks
    names = " ".join(check["name"] for check in checks)
    assert "AI endpoint answered by ollama" in names
    assert "ai-chatbot-jump" in names, "verify must try the brain from the outsider"
    brain_ip = stack.hosts[stack.container("brain")]["ip"]
    env_file = run("docker", "exec", stack.container("body"), "grep", "^AI_BASE_URL=", "/home/ubuntu/app/.env")
    assert env_file.stdout.strip() == f"AI_BASE_URL=http://{brain_ip}:11434", env_file.stdout


def test_backend_is_warm_after_the_brain_host_reboots(stack, converged):
    """Reboot drill: the brain's container restarts (systemd boots again, /run is empty), no Ansible run after."""
    assert converged.returncode == 0
    brain, body = stack.container("brain"), stack.container("body")
    brain_ip = stack.hosts[brain]["ip"]
    docker("restart", "--time", "30", brain)
    wait_warm(brain, body, brain_ip)
    token = (Path(lab_env()["LAB_SECRETS_DIR"]) / "api-token").read_text().strip()
    assert_warm_through_backend(brain, body, brain_ip, token, "gemma3:4b")
