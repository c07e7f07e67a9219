"""inventory/aws_ec2.yml, as users run it, against moto: only endpoint and credentials differ."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import flat, playbook, run
from moto_rig import ROOT


def plain(value):
    """ansible-inventory marks templated values as unsafe: {"__ansible_unsafe": value}."""
    return value.get("__ansible_unsafe", value) if isinstance(value, dict) else value


def hostvars(moto, **env: str) -> dict:
    result = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "-i", "inventory/aws_ec2.yml", "--list"],
                            cwd=ROOT, env=dict(moto.env(), **env), capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return {host: {k: plain(v) for k, v in hv.items()} for host, hv in json.loads(result.stdout)["_meta"]["hostvars"].items()}


def test_graph_shows_brain_and_body_with_private_ips(account):
    moto = account.moto
    assert playbook(moto, "provision").returncode == 0
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


def test_access_path_is_chosen_by_environment(account):
    moto = account.moto
    assert playbook(moto, "provision").returncode == 0
    body = hostvars(moto, AI_STACK_ACCESS="ssm")["talent-api"]
    assert body["ansible_host"] == account.body_id
    assert body["ansible_connection"] == "amazon.aws.aws_ssm"
    public = hostvars(moto, AI_STACK_ACCESS="public")["talent-api"]
    assert public["ansible_host"] == public["public_ip_address"] != public["private_ip_address"]
