"""provision.yml and teardown.yml against moto_server."""

from __future__ import annotations

import json

import pytest
from conftest import flat, playbook
from moto_rig import launch_body


def test_check_mode_on_a_fresh_account_changes_nothing(untouched_account):
    account = untouched_account
    result = playbook(account.moto, "provision", "--check")
    ec2 = account.moto.client("ec2")
    groups = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert "ai-chatbot-prod-brain" not in groups
    assert len(ec2.describe_instances()["Reservations"]) == 1
    assert result.returncode in (0, 2), flat(result)[-3000:]


@pytest.mark.parametrize(("extra", "message"), [
    ({"aws_stack_ollama_extra_cidrs": ["0.0.0.0/0"]},
     "aws_stack_ollama_extra_cidrs admits every IPv4 address (0.0.0.0/0); remove them"),
    ({"aws_stack_ollama_extra_cidrs": ["0.0.0.0/1", "128.0.0.0/1"]},
     "aws_stack_ollama_extra_cidrs admits every IPv4 address (0.0.0.0/1, 128.0.0.0/1)"),
    ({"aws_stack_ollama_extra_cidrs": ["10.0.0.0/8", "::/1", "8000::/1"]},
     "aws_stack_ollama_extra_cidrs admits every IPv6 address (10.0.0.0/8, ::/1, 8000::/1)"),
    ({"aws_stack_ollama_extra_cidrs": ["10.0.0.0/8"]},
     "aws_stack_ollama_extra_cidrs (10.0.0.0/8) admits 16777216 addresses, more than the body's VPC"),
    ({"aws_stack_ollama_extra_cidrs": ["10.0.1.0/240"]},
     "aws_stack_ollama_extra_cidrs holds '10.0.1.0/240', which is not an IP address or CIDR"),
    ({"aws_stack_brain_volume_size": 10},
     "aws_stack_brain_volume_size is 10, but the brain needs about 14 GB"),
    ({"aws_stack_ollama_port": 70000},
     "aws_stack_ollama_port is 70000, which is not a TCP port; write a number from 1 to 65535"),
    ({"aws_stack_body_filters": {"tag:Name": "no-such-body"}},
     'No instance matches the body (filters {"tag:Name": "no-such-body"}) in eu-west-1'),
    ({"aws_stack_brain_instance_type": "m7i-flex.lrage"},
     "Instance type 'm7i-flex.lrage' is not known here"),
], ids=["world-open-ollama", "world-open-in-halves", "world-open-ipv6-in-halves", "wider-than-the-vpc", "not-a-cidr",
        "volume-too-small", "port-out-of-range", "missing-body", "unknown-instance-type"])
def test_refusals_change_nothing(untouched_account, extra, message):
    account = untouched_account
    result = playbook(account.moto, "provision", "-e", json.dumps(extra))
    assert result.returncode != 0
    assert message in flat(result), flat(result)[-3000:]
    ec2 = account.moto.client("ec2")
    assert len(ec2.describe_instances()["Reservations"]) == 1
    body = ec2.describe_instances(InstanceIds=[account.body_id])["Reservations"][0]["Instances"][0]
    assert "Role" not in {t["Key"] for t in body["Tags"]}
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"].startswith("ai-chatbot")] == []


def test_ambiguous_body_is_refused(account):
    second = launch_body(account.moto, account.subnet_id, account.body_sg)
    result = playbook(account.moto, "provision")
    assert result.returncode != 0
    assert "2 instances match the body filters" in flat(result)
    assert second in flat(result) and account.body_id in flat(result)


def test_world_open_with_opt_in_warns(account):
    result = playbook(account.moto, "provision", "-e", json.dumps(
        {"aws_stack_ollama_extra_cidrs": ["0.0.0.0/0"], "aws_stack_allow_world_ollama": True}))
    assert result.returncode == 0, flat(result)[-3000:]
    assert "WARNING: the Ollama port 11434 of the brain is open to every IPv4 address (0.0.0.0/0;" in flat(result)


def test_teardown_refuses_an_unmanaged_brain(account):
    moto = account.moto
    ec2 = moto.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    stray = ec2.run_instances(ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=account.subnet_id,
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                  {"Key": "Role", "Value": "brain"}, {"Key": "Project", "Value": "ai-chatbot"},
                                  {"Key": "Environment", "Value": "prod"}]}])["Instances"][0]["InstanceId"]
    result = playbook(moto, "teardown")
    assert result.returncode != 0
    assert f"{stray} carries Role=brain and the project tags but not ManagedBy=ai-stack-ansible" in flat(result)
    state = ec2.describe_instances(InstanceIds=[stray])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "running"
