"""The moto rig (tests/lib/moto_rig.py) as fixtures, and helpers to run our playbooks against it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_rig import AMI_PARAMETER, ROOT, Account, Moto, moto_server, seed_account
from recap import recap


@pytest.fixture
def moto(tmp_path) -> Iterator[Moto]:
    with moto_server(tmp_path / "moto.log") as server:
        yield server


@pytest.fixture
def account(moto) -> Account:
    return seed_account(moto)


@pytest.fixture(scope="module")
def untouched_account(tmp_path_factory) -> Iterator[Account]:
    """One seeded account for a module's tests that must leave it as it was (each checks that it did): a moto
    server and seed of their own would cost each several seconds of CPU for nothing."""
    with moto_server(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield seed_account(server)


def run(moto: Moto, *args: str, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(Path(sys.executable).parent / args[0]), *args[1:]], cwd=ROOT, env=moto.env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def playbook(moto: Moto, name: str, *args: str) -> subprocess.CompletedProcess:
    return run(moto, "ansible-playbook", f"playbooks/{name}.yml", "-e", f"aws_stack_brain_ami_parameter={AMI_PARAMETER}", *args)


def changed(result: subprocess.CompletedProcess) -> int:
    hosts = recap(result.stdout)
    assert "localhost" in hosts, result.stdout[-3000:] + result.stderr[-3000:]
    return hosts["localhost"]["changed"]


def flat(result: subprocess.CompletedProcess) -> str:
    return " ".join((result.stdout + result.stderr).split())


def second_zone_subnet(account) -> str:
    ec2 = account.moto.client("ec2")
    (first,) = ec2.describe_subnets(SubnetIds=[account.subnet_id])["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    other = next(z for z in zones if z != first["AvailabilityZone"])
    return ec2.create_subnet(VpcId=account.vpc_id, CidrBlock="10.20.2.0/24", AvailabilityZone=other)["Subnet"]["SubnetId"]
