"""moto_server on loopback, seeded with what an AWS account already holds (a VPC,
a subnet, the body and its security group). Shared by tests/aws and tests/e2e."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import boto3
from ports import free_port

ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
# moto reserves /aws/ (only AWS may write there) and has none of Canonical's
# parameters, so the tests publish the AMI under a name of their own and pass it.
AMI_PARAMETER = "/ai-stack-test/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"


@dataclass
class Moto:
    url: str

    def env(self) -> dict[str, str]:
        """Only the endpoint and credentials differ from a real run."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL=self.url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION=REGION, AWS_DEFAULT_REGION=REGION, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0", NO_PROXY="127.0.0.1,localhost")
        return env

    def client(self, service: str, region: str = REGION):
        return boto3.client(service, region_name=region, endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")


@contextlib.contextmanager
def moto_server(log_path: Path) -> Iterator[Moto]:
    """A moto_server on a free loopback port, stopped on exit whatever happened."""
    port = free_port()
    with open(log_path, "wb") as log:
        # AWS's managed policies (CloudWatchAgentServerPolicy, ...) exist only when moto loads them.
        # moto_server_aws.py: moto's server, with the ALB attributes AWS always returns.
        proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("moto_server_aws.py")),
                                 "-H", "127.0.0.1", "-p", str(port)],
                                stdout=log, stderr=subprocess.STDOUT,
                                env=dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true"))
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                try:
                    urllib.request.urlopen(url + "/moto-api/", timeout=1)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise RuntimeError(log_path.read_text()) from None
                    time.sleep(0.1)
            yield Moto(url)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@dataclass
class Account:
    moto: Moto
    vpc_id: str
    subnet_id: str
    body_sg: str
    body_id: str


def launch_instance(moto: Moto, subnet_id: str, sg: str, tags: dict[str, str], instance_type: str = "t3.small") -> str:
    ec2 = moto.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    return ec2.run_instances(ImageId=ami, InstanceType=instance_type, MinCount=1, MaxCount=1, SubnetId=subnet_id,
                             SecurityGroupIds=[sg],
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}],
                             )["Instances"][0]["InstanceId"]


def launch_body(moto: Moto, subnet_id: str, sg: str, name: str = "talent-api") -> str:
    return launch_instance(moto, subnet_id, sg, {"Name": name, "Owner": "team-talent"})


def seed_account(moto: Moto, cidr: str = "10.20.0.0/16", subnet_cidr: str = "10.20.1.0/24") -> Account:
    """The account as the team has it before this project: a VPC, a subnet, the body and its SG."""
    ec2 = moto.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=subnet_cidr)["Subnet"]["SubnetId"]
    # The body's subnet gives public IPs, as the plan's default-VPC body has one.
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    sg = ec2.create_security_group(GroupName="talent-api", Description="body", VpcId=vpc)["GroupId"]
    body = launch_body(moto, subnet, sg)
    # moto has no Canonical parameters: publish one pointing at an image moto knows.
    ami = ec2.describe_images(Owners=["amazon"])["Images"][1]["ImageId"]
    moto.client("ssm").put_parameter(Name=AMI_PARAMETER, Value=ami, Type="String")
    return Account(moto, vpc, subnet, sg, body)
