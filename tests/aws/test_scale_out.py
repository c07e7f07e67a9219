"""aws_stack_brain_count on moto: brains behind an internal load balancer, scaled out and in, and torn down."""

from __future__ import annotations

import datetime
import json

from conftest import changed, flat, playbook, run

PORT = 11434


def converge(moto, count: int, subnets: list[str], **extra):
    return playbook(moto, "provision", "-e", json.dumps(
        {"aws_stack_brain_count": count, "aws_stack_brain_subnet_ids": subnets, **extra}))


def second_zone_subnet(account) -> str:
    ec2 = account.moto.client("ec2")
    (first,) = ec2.describe_subnets(SubnetIds=[account.subnet_id])["Subnets"]
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]]
    other = next(z for z in zones if z != first["AvailabilityZone"])
    return ec2.create_subnet(VpcId=account.vpc_id, CidrBlock="10.20.2.0/24", AvailabilityZone=other)["Subnet"]["SubnetId"]


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


def test_one_two_three_two_one_brains_each_converge_and_rerun_unchanged(account):
    moto = account.moto
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    subnets = [account.subnet_id, second_zone_subnet(account)]
    for count in (1, 2, 3, 2, 1):
        first = converge(moto, count, subnets)
        assert first.returncode == 0, f"count {count}: " + flat(first)[-3000:]
        again = converge(moto, count, subnets)
        assert again.returncode == 0, flat(again)[-3000:]
        assert changed(again) == 0, f"count {count}: the re-run changed something\n" + flat(again)[-4000:]

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

    teardown = playbook(moto, "teardown")
    assert teardown.returncode == 0, flat(teardown)[-3000:]
    assert live_brains(ec2) == []
    assert elb.describe_load_balancers()["LoadBalancers"] == []
    assert elb.describe_target_groups()["TargetGroups"] == []
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
            if g["GroupName"].startswith("ai-chatbot-prod")] == []
    assert moto.client("cloudwatch").describe_alarms()["MetricAlarms"] == []


def test_a_load_balancer_in_one_zone_is_refused_before_anything_changes(account):
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


def test_brain_lb_drains_and_admits_brains_in_the_target_group(account):
    """roles/brain_lb's AWS implementation, as the rolling upgrade uses it, on the brains the inventory finds.

    bench/lb_serving.yml admits the first N brains (by name) and drains the rest through the role's interface.
    """
    moto = account.moto
    ec2, elb = moto.client("ec2"), moto.client("elbv2")
    provisioned = converge(moto, 2, [account.subnet_id, second_zone_subnet(account)])
    assert provisioned.returncode == 0, flat(provisioned)[-3000:]
    brains = [b["InstanceId"] for b in sorted(live_brains(ec2), key=lambda b: tags(b)["Name"])]
    (target_group,) = elb.describe_target_groups(Names=["ai-chatbot-prod-brains"])["TargetGroups"]

    def registered() -> list[str]:
        return sorted(t["Target"]["Id"] for t in elb.describe_target_health(
            TargetGroupArn=target_group["TargetGroupArn"])["TargetHealthDescriptions"])

    def serving(count: int):
        return run(moto, "ansible-playbook", "-i", "inventory/aws_ec2.yml", "bench/lb_serving.yml",
                   "-e", f"bench_serving={count}")

    one = serving(1)
    assert one.returncode == 0, flat(one)[-3000:]
    assert registered() == [brains[0]]
    # Draining the last brain that serves is refused, and nothing changes.
    none = serving(0)
    assert none.returncode != 0
    assert "would leave no brain serving in target group ai-chatbot-prod-brains" in flat(none), flat(none)[-3000:]
    assert registered() == [brains[0]]
    both = serving(2)
    assert both.returncode == 0, flat(both)[-3000:]
    assert registered() == sorted(brains)
