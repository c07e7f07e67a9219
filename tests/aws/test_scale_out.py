"""aws_stack_brain_count on moto: brains behind an internal load balancer, scaled out and in, and torn down."""

from __future__ import annotations

import datetime
import json
import re

from conftest import changed, flat, playbook, run, second_zone_subnet
from test_inventory import (
    assert_access_path_is_chosen_by_environment,
    assert_graph_shows_brain_and_body_with_private_ips,
    assert_two_brains_grouped_with_no_deprecation_from_our_file,
)

PORT = 11434


def converge(moto, count: int, subnets: list[str], **extra):
    return playbook(moto, "provision", "-e", json.dumps(
        {"aws_stack_brain_count": count, "aws_stack_brain_subnet_ids": subnets, **extra}))


def live_brains(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:Role", "Values": ["brain"]},
        {"Name": "instance-state-name", "Values": ["pending", "running"]}])["Reservations"] for i in r["Instances"]]


def tags(resource: dict) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in resource.get("Tags", [])}


def group(ec2, name: str) -> dict | None:
    found = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    return found[0] if found else None


def ollama_sources(sg: dict) -> list[str]:
    (rule,) = [p for p in sg["IpPermissions"] if p.get("FromPort") == PORT]
    assert rule["IpRanges"] == [] and rule.get("Ipv6Ranges", []) == []
    return [g["GroupId"] for g in rule["UserIdGroupPairs"]]


def assert_one_brain_as_provisioned(account, output: str):
    """What the first provisioning, with every default, made: one brain and what it needs, the body tagged."""
    moto = account.moto
    ec2 = moto.client("ec2")
    (brain,) = live_brains(ec2)
    brain_tags = tags(brain)
    assert brain["InstanceType"] == "m7i-flex.large"
    assert brain["SubnetId"] == account.subnet_id  # the body's subnet, when none is given
    assert brain["MetadataOptions"]["HttpTokens"] == "required"
    assert brain_tags["Role"] == "brain" and brain_tags["Project"] == "ai-chatbot"
    assert brain_tags["ManagedBy"] == "ai-stack-ansible" and brain_tags["Name"] == "ai-chatbot-prod-brain"
    (mapping,) = brain["BlockDeviceMappings"]
    volume = ec2.describe_volumes(VolumeIds=[mapping["Ebs"]["VolumeId"]])["Volumes"][0]
    assert (volume["Size"], volume["VolumeType"], volume["Encrypted"]) == (30, "gp3", True)
    assert brain["IamInstanceProfile"]["Arn"].endswith("/ai-chatbot-prod-brain")
    assert f"private IP {brain['PrivateIpAddress']}" in output

    # The Ollama port admits the body's security group, and nothing else; SSH from nowhere.
    (sg,) = ec2.describe_security_groups(GroupIds=[brain["SecurityGroups"][0]["GroupId"]])["SecurityGroups"]
    assert ollama_sources(sg) == [account.body_sg]
    assert not [p for p in sg["IpPermissions"] if p.get("FromPort") == 22]

    # The body got its role tag, kept its other tags, and nothing else changed.
    body = ec2.describe_instances(InstanceIds=[account.body_id])["Reservations"][0]["Instances"][0]
    assert tags(body) == {"Name": "talent-api", "Owner": "team-talent", "Role": "body", "Project": "ai-chatbot",
                          "Environment": "prod"}
    assert body["State"]["Name"] == "running"

    alarms = {a["AlarmName"]: a for a in moto.client("cloudwatch").describe_alarms()["MetricAlarms"]}
    expected = {"ai-chatbot-prod-brain-cpu": ("AWS/EC2", "CPUUtilization", 90.0),
                "ai-chatbot-prod-brain-memory": ("CWAgent", "mem_used_percent", 90.0),
                "ai-chatbot-prod-brain-disk": ("CWAgent", "disk_used_percent", 90.0),
                "ai-chatbot-prod-brain-status-check": ("AWS/EC2", "StatusCheckFailed", 1.0),
                "ai-chatbot-prod-brain-canary-ttft": ("CWAgent", "ollama_brain.canary_ttft", 5000.0),
                "ai-chatbot-prod-brain-watchdog-restart": ("CWAgent", "ollama_brain.watchdog_restarts", 1.0)}
    for name, (namespace, metric, threshold) in expected.items():
        alarm = alarms[name]
        assert (alarm["Namespace"], alarm["MetricName"], alarm["Threshold"]) == (namespace, metric, threshold)
        assert alarm["Dimensions"] == [{"Name": "InstanceId", "Value": brain["InstanceId"]}]
        assert alarm["AlarmActions"][0].endswith(":ai-chatbot-prod-alarms")
    billing = moto.client("cloudwatch", "us-east-1").describe_alarms()["MetricAlarms"]
    assert [(a["Namespace"], a["MetricName"], a["Threshold"]) for a in billing] == [
        ("AWS/Billing", "EstimatedCharges", 90.0)]
    assert "estimated USD/day: 1 x (brain 2.87" in output


def assert_brain_lb_drains_and_admits(moto, brains: list[dict], target_group_arn: str):
    """roles/brain_lb's AWS implementation, as the rolling upgrade uses it, on the brains the inventory finds.

    bench/lb_serving.yml admits the first N brains (by name) and drains the rest through the role's interface.
    """
    elb = moto.client("elbv2")
    ids = [b["InstanceId"] for b in sorted(brains, key=lambda b: tags(b)["Name"])]

    def registered() -> list[str]:
        return sorted(t["Target"]["Id"] for t in elb.describe_target_health(
            TargetGroupArn=target_group_arn)["TargetHealthDescriptions"])

    def serving(count: int):
        return run(moto, "ansible-playbook", "-i", "inventory/aws_ec2.yml", "bench/lb_serving.yml",
                   "-e", f"bench_serving={count}")

    one = serving(1)
    assert one.returncode == 0, flat(one)[-3000:]
    assert registered() == [ids[0]]
    # Draining the last brain that serves is refused, and nothing changes.
    none = serving(0)
    assert none.returncode != 0
    assert "would leave no brain serving in target group ai-chatbot-prod-brains" in flat(none), flat(none)[-3000:]
    assert registered() == [ids[0]]
    both = serving(2)
    assert both.returncode == 0, flat(both)[-3000:]
    assert registered() == sorted(ids)


def tamper_with_alarms(moto):
    """A brain's CPU alarm set up by hand (another threshold, no OK action) and its memory alarm deleted."""
    cloudwatch = moto.client("cloudwatch")
    (cpu,) = cloudwatch.describe_alarms(AlarmNames=["ai-chatbot-prod-brain-cpu"])["MetricAlarms"]
    keep = ("AlarmName", "AlarmDescription", "Namespace", "MetricName", "Dimensions", "Statistic", "ComparisonOperator",
            "Period", "EvaluationPeriods", "Unit", "TreatMissingData", "AlarmActions")
    cloudwatch.put_metric_alarm(**{key: cpu[key] for key in keep}, Threshold=99.0)
    cloudwatch.delete_alarms(AlarmNames=["ai-chatbot-prod-brain-memory"])


def assert_alarms_put_back(moto, result):
    """The one read of the alarms finds both changes, and the converge puts back exactly those two alarms."""
    alarms = {a["AlarmName"]: a for a in moto.client("cloudwatch").describe_alarms(
        AlarmNames=["ai-chatbot-prod-brain-cpu", "ai-chatbot-prod-brain-memory"])["MetricAlarms"]}
    assert alarms["ai-chatbot-prod-brain-cpu"]["Threshold"] == 90.0
    assert alarms["ai-chatbot-prod-brain-cpu"]["OKActions"] == alarms["ai-chatbot-prod-brain-cpu"]["AlarmActions"]
    assert alarms["ai-chatbot-prod-brain-memory"]["MetricName"] == "mem_used_percent"
    task = result.stdout.split("TASK [aws_stack : Alarms on each brain")[1].split("TASK [")[0]
    put = re.findall(r"changed: \[localhost\] => \(item=([^)]+)\)", task)
    assert sorted(put) == ["ai-chatbot-prod-brain-cpu", "ai-chatbot-prod-brain-memory"], task
    # The alarms found as wanted got no call of their own.
    assert "ok: [localhost] => (item=" not in task, task


# One account carries the whole life of a stack, so that each converge is run once and checked for all it promises:
# a first provisioning with every default, scaling out and in (brain_lb admits and drains brains on the way back to
# one, so that scale-in meets registered targets as it does after a rolling upgrade), and a teardown run twice.
def test_provision_then_one_two_three_two_one_brains_each_rerun_unchanged_then_teardown_removes_what_it_made(account):
    moto = account.moto
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    subnets = [account.subnet_id, second_zone_subnet(account)]
    for step, count in enumerate((1, 2, 3, 2, 1)):
        if step == 3:
            tamper_with_alarms(moto)
        if step == 0:
            first, again = playbook(moto, "provision"), playbook(moto, "provision")
        else:
            first, again = converge(moto, count, subnets), converge(moto, count, subnets)
        assert first.returncode == 0, f"count {count}: " + flat(first)[-3000:]
        assert again.returncode == 0, flat(again)[-3000:]
        assert changed(again) == 0, f"count {count}: the re-run changed something\n" + flat(again)[-4000:]
        if step == 0:
            assert_one_brain_as_provisioned(account, flat(first))
            # The EC2 inventory on this stack (test_inventory.py, which ansible-current runs on a stack of its own).
            assert_graph_shows_brain_and_body_with_private_ips(account)
            assert_access_path_is_chosen_by_environment(account)
        if step == 1:
            assert_two_brains_grouped_with_no_deprecation_from_our_file(moto)

        brains = live_brains(ec2)
        names = sorted(tags(b)["Name"] for b in brains)
        assert names == sorted(["ai-chatbot-prod-brain"] + [f"ai-chatbot-prod-brain-{i}" for i in range(2, count + 1)])
        assert {b["SubnetId"] for b in brains} == set(subnets[:count])
        body = ec2.describe_instances(InstanceIds=[account.body_id])["Reservations"][0]["Instances"][0]
        brain_sg = group(ec2, "ai-chatbot-prod-brain")
        load_balancers = [lb for lb in elb.describe_load_balancers()["LoadBalancers"]
                          if lb["LoadBalancerName"] == "ai-chatbot-prod-brains"]
        alarms = {a["AlarmName"] for a in moto.client("cloudwatch").describe_alarms()["MetricAlarms"]}
        assert {f"{name}-cpu" for name in names} <= alarms
        assert len([a for a in alarms if a.endswith("-cpu")]) == count

        if count == 1:
            assert "ai-chatbot-prod-brains-unhealthy" not in alarms
            assert load_balancers == []
            assert "ai-chatbot-prod-brains" not in [t["TargetGroupName"] for t in elb.describe_target_groups()["TargetGroups"]]
            assert group(ec2, "ai-chatbot-prod-lb") is None
            assert ollama_sources(brain_sg) == [account.body_sg]
            assert "AiBaseUrl" not in tags(body)
            assert "AiAllowedClients" not in tags(brains[0])
            assert "AiTargetGroup" not in tags(brains[0])
            continue

        (lb,) = load_balancers
        assert lb["Scheme"] == "internal"
        # The ALB's count of brains failing /healthz raises an alarm.
        (unhealthy,) = moto.client("cloudwatch").describe_alarms(AlarmNames=["ai-chatbot-prod-brains-unhealthy"])["MetricAlarms"]
        assert (unhealthy["Namespace"], unhealthy["MetricName"], unhealthy["Threshold"]) == (
            "AWS/ApplicationELB", "UnHealthyHostCount", 1.0)
        dimensions = {d["Name"]: d["Value"] for d in unhealthy["Dimensions"]}
        assert dimensions["LoadBalancer"] == lb["LoadBalancerArn"].split(":loadbalancer/")[1], dimensions
        assert dimensions["TargetGroup"].startswith("targetgroup/ai-chatbot-prod-brains/"), dimensions
        attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(
            LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
        assert int(attributes["idle_timeout.timeout_seconds"]) > 30  # above the backend's AI_TIMEOUT
        (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
        assert (listener["Protocol"], listener["Port"]) == ("HTTP", PORT)
        (target_group,) = elb.describe_target_groups(Names=["ai-chatbot-prod-brains"])["TargetGroups"]
        assert target_group["HealthCheckPath"] == "/healthz"
        tg_attributes = {a["Key"]: a["Value"] for a in elb.describe_target_group_attributes(
            TargetGroupArn=target_group["TargetGroupArn"])["Attributes"]}
        assert tg_attributes["load_balancing.algorithm.type"] == "least_outstanding_requests"
        # No brain is registered by provisioning: the brain play registers each once it is converged and warm.
        targets = elb.describe_target_health(TargetGroupArn=target_group["TargetGroupArn"])["TargetHealthDescriptions"]
        assert targets == [], targets
        # body SG -> load balancer SG -> brain SG, the Ollama port only.
        lb_sg = group(ec2, "ai-chatbot-prod-lb")
        assert lb["SecurityGroups"] == [lb_sg["GroupId"]]
        assert ollama_sources(lb_sg) == [account.body_sg]
        assert ollama_sources(brain_sg) == [lb_sg["GroupId"]]
        # Read from AWS by the inventory: the body calls the load balancer, the brains admit its subnets.
        assert tags(body)["AiBaseUrl"] == f"http://{lb['DNSName']}:{PORT}"
        # Sorted, so that the tag does not change between runs whatever order AWS lists the subnets in.
        assert {tags(b)["AiAllowedClients"] for b in brains} == {"10.20.1.0/24 10.20.2.0/24"}
        # ...and the target group that roles/brain_lb drains and admits them in (rolling upgrades).
        assert {tags(b)["AiTargetGroup"] for b in brains} == {"ai-chatbot-prod-brains"}
        assert "load balancer " + lb["DNSName"] in flat(first)
        assert f"estimated USD/day: {count} x (brain 2.87" in flat(first) and "+ load balancer 0.80" in flat(first)
        if step == 3:
            assert_alarms_put_back(moto, first)
            assert_brain_lb_drains_and_admits(moto, brains, target_group["TargetGroupArn"])

    teardown = playbook(moto, "teardown")
    assert teardown.returncode == 0, flat(teardown)[-3000:]
    again = playbook(moto, "teardown")
    assert again.returncode == 0, flat(again)[-3000:]
    assert changed(again) == 0, flat(again)[-3000:]
    live = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] not in ("terminated", "shutting-down")]
    assert [i["InstanceId"] for i in live] == [account.body_id]
    assert moto.client("cloudwatch", "us-east-1").describe_alarms()["MetricAlarms"] == []
    assert moto.client("sns").list_topics()["Topics"] == []
    assert "ai-chatbot-prod-brain" not in [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]]
    assert live_brains(ec2) == []
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"].startswith("ai-chatbot-prod")] == []
    assert moto.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_a_load_balancer_in_one_zone_is_refused_before_anything_changes(untouched_account):
    account = untouched_account
    result = converge(account.moto, 2, [])
    assert result.returncode != 0
    assert ("aws_stack_brain_count is 2, which puts an Application Load Balancer in front of the brains, and an ALB "
            "needs subnets in at least two Availability Zones") in flat(result), flat(result)[-3000:]
    assert live_brains(account.moto.client("ec2")) == []


def test_a_count_that_spends_the_budget_before_its_end_date_is_refused(account):
    end = (datetime.date.today() + datetime.timedelta(days=29)).isoformat()
    subnets = [account.subnet_id, second_zone_subnet(account)]
    result = converge(account.moto, 3, subnets, aws_stack_budget_end_date=end, aws_stack_budget_usd=90)
    assert result.returncode != 0
    assert "3 brain(s) cost about 10.31 USD a day" in flat(result), flat(result)[-3000:]
    assert f"until {end}, more than aws_stack_budget_usd (90)" in flat(result)
    assert live_brains(account.moto.client("ec2")) == []
    allowed = converge(account.moto, 1, subnets, aws_stack_budget_end_date=end, aws_stack_budget_usd=200)
    assert allowed.returncode == 0, flat(allowed)[-3000:]
