"""inventory/aws_ec2.yml, as users run it, against moto: only endpoint and credentials differ."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import flat, playbook, run, second_zone_subnet
from moto_rig import ROOT, Account, moto_server, seed_account


def plain(value):
    """ansible-inventory marks templated values as unsafe: {"__ansible_unsafe": value}."""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def hostvars(moto, **env: str) -> dict:
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", "inventory/aws_ec2.yml", "--list"],
                            cwd=ROOT, env=dict(moto.env(), **env), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return {host: {k: plain(v) for k, v in hv.items()} for host, hv in json.loads(result.stdout)["_meta"]["hostvars"].items()}


# Under the pinned ansible, tests/aws/test_scale_out.py runs these checks on the stack of its own life cycle, one
# brain and then two (tests/run_checks.sh, aws-moto); ansible-current runs this file, which provisions for them.
@pytest.fixture(scope="module")
def provisioned(tmp_path_factory) -> Iterator[Account]:
    """One account, provisioned once, that the tests below only read (the last one scales it to two brains)."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        account = seed_account(server)
        result = playbook(server, "provision")
        assert result.returncode == 0, flat(result)[-3000:]
        yield account


def test_graph_shows_brain_and_body_with_private_ips(provisioned):
    assert_graph_shows_brain_and_body_with_private_ips(provisioned)


def assert_graph_shows_brain_and_body_with_private_ips(account: Account):
    moto = account.moto
    graph = run(moto, "ansible-inventory", "-i", "inventory/aws_ec2.yml", "--graph", "--vars")
    assert graph.returncode == 0, flat(graph)[-3000:]
    ec2 = moto.client("ec2")
    instances = {i["InstanceId"]: i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    body = instances[account.body_id]
    (brain,) = [i for i in instances.values() if {"Key": "Role", "Value": "brain"} in i.get("Tags", [])]
    text = graph.stdout
    assert "@brain:" in text and "@body:" in text, text
    brain_section = text.split("@brain:")[1].split("@")[0]
    body_section = text.split("@body:")[1].split("@")[0]
    assert "ai-chatbot-prod-brain" in brain_section and f"private_ip_address = {brain['PrivateIpAddress']}" in brain_section
    assert "talent-api" in body_section and f"private_ip_address = {body['PrivateIpAddress']}" in body_section

    listed = hostvars(moto)
    assert listed["ai-chatbot-prod-brain"]["ansible_host"] == brain["PrivateIpAddress"]
    assert listed["ai-chatbot-prod-brain"]["ansible_connection"] == "ssh"
    assert listed["talent-api"]["ansible_user"] == "ubuntu"


def test_access_path_is_chosen_by_environment(provisioned):
    assert_access_path_is_chosen_by_environment(provisioned)


def assert_access_path_is_chosen_by_environment(account: Account):
    moto = account.moto
    body = hostvars(moto, AI_STACK_ACCESS="ssm")["talent-api"]
    assert body["ansible_host"] == account.body_id
    assert body["ansible_connection"] == "amazon.aws.aws_ssm"
    public = hostvars(moto, AI_STACK_ACCESS="public")["talent-api"]
    assert public["ansible_host"] == public["public_ip_address"] != public["private_ip_address"]


# Printed whatever an aws_ec2 inventory file says, so not ours to fix:
COLLECTION_NOTICES = (
    # amazon.aws >= 11.2.0, at every parse (plugins/inventory/aws_ec2.py, parse()).
    "The 'tags' host variable is deprecated. Use 'ec2_tags' instead.",
    # amazon.aws plugin_utils/inventory.py templates its options with disable_lookups, which ansible-core 2.19 deprecated.
    "Passing `disable_lookups` to `template` is deprecated.",
    # ansible-core, because the plugin itself sets the hostvar `tags` on every host.
    "Found variable using reserved name 'tags'.",
    # ansible-core's footer under any deprecation.
    "Deprecation warnings can be disabled by setting",
)


def warnings(output: str) -> list[str]:
    text = " ".join(output.split())
    parts = re.split(r"(?=\[(?:DEPRECATION )?WARNING\]:)", text)
    return [part.strip() for part in parts if part.startswith("[") and "WARNING]:" in part[:25]]


def test_groups_and_composed_variables_with_no_deprecation_from_our_file(provisioned):
    """Under the pinned amazon.aws (tags only) and under ansible 14's (ec2_tags): same groups, no warning of ours."""
    account = provisioned
    moto = account.moto
    subnets = [account.subnet_id, second_zone_subnet(account)]
    provisioned = playbook(moto, "provision", "-e",
                           json.dumps({"aws_stack_brain_count": 2, "aws_stack_brain_subnet_ids": subnets}))
    assert provisioned.returncode == 0, flat(provisioned)[-3000:]
    assert_two_brains_grouped_with_no_deprecation_from_our_file(moto)


def assert_two_brains_grouped_with_no_deprecation_from_our_file(moto):
    result = run(moto, "ansible-inventory", "-i", "inventory/aws_ec2.yml", "--list")
    assert result.returncode == 0, flat(result)[-3000:]
    listed = json.loads(result.stdout)
    assert sorted(listed["brain"]["hosts"]) == ["ai-chatbot-prod-brain", "ai-chatbot-prod-brain-2"], listed.get("brain")
    assert listed["body"]["hosts"] == ["talent-api"]
    variables = {host: {k: plain(v) for k, v in hv.items()} for host, hv in listed["_meta"]["hostvars"].items()}
    assert variables["talent-api"]["ai_brain_url"].startswith("http://")
    assert variables["ai-chatbot-prod-brain"]["ai_brain_lb_kind"] == "aws_target_group"
    assert variables["ai-chatbot-prod-brain"]["ai_brain_allowed_clients"]
    ours = [w for w in warnings(result.stderr) if not any(notice in w for notice in COLLECTION_NOTICES)]
    assert ours == []
