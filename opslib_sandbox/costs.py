"""Cost Explorer in the sandbox: moto only replays canned answers, so the sandbox keeps 45 days
of cost by service and usage type for the seeded systems and answers GetCostAndUsage from it for
any window, plus what the world has run since it was seeded: each EC2 instance launched after the
seed (its hours each day it ran, at its type's on-demand price) and each EBS volume created after it
(GB-hours). A forgotten large instance shows in yesterday's EC2 compute cost.
"""

import json
import random
from datetime import date, datetime, timedelta, timezone

# daily USD by service, with its main usage types (shares), as the five seed systems would spend
SERVICES = {
    "Amazon Elastic Compute Cloud - Compute": (38.0, {"BoxUsage:t3.medium": 0.7, "EBS:VolumeUsage.gp3": 0.3}),
    "Amazon Relational Database Service": (52.0, {"InstanceUsage:db.t3.medium": 0.8, "RDS:GP2-Storage": 0.2}),
    "Amazon Elastic Container Service": (24.0, {"Fargate-vCPU-Hours:perCPU": 0.75, "Fargate-GB-Hours": 0.25}),
    "Amazon DynamoDB": (6.5, {"ReadCapacityUnit-Hrs": 0.5, "WriteCapacityUnit-Hrs": 0.5}),
    "AWS Lambda": (3.2, {"Lambda-GB-Second": 0.85, "Request": 0.15}),
    "Amazon CloudFront": (4.1, {"DataTransfer-Out-Bytes": 0.9, "Requests-Tier1": 0.1}),
    "Amazon Simple Storage Service": (2.3, {"TimedStorage-ByteHrs": 0.8, "Requests-Tier1": 0.2}),
    "Amazon API Gateway": (1.9, {"ApiGatewayRequest": 1.0}),
    "AmazonCloudWatch": (3.4, {"CW:MetricMonitorUsage": 0.6, "DataProcessing-Bytes": 0.4}),
    "Amazon ElastiCache": (11.0, {"NodeUsage:cache.t3.small": 1.0}),
    "Amazon Simple Queue Service": (0.6, {"Requests-RBP": 1.0}),
    "AWS Secrets Manager": (0.4, {"AWSSecretsManager-Secrets": 1.0}),
}


HOURLY_USD = {"t3.micro": 0.0104, "t3.small": 0.0208, "t3.medium": 0.0416, "t3.large": 0.0832, "t3.xlarge": 0.1664, "m5.large": 0.096,
              "m5.xlarge": 0.192, "m5.2xlarge": 0.384, "m5.4xlarge": 0.768, "m5.8xlarge": 1.536, "m5.12xlarge": 2.304, "m5.24xlarge": 4.608,
              "c5.large": 0.085, "c5.xlarge": 0.17, "r5.large": 0.126, "r5.xlarge": 0.252, "p3.2xlarge": 3.06, "p3.8xlarge": 12.24}  # us-east-1 Linux on-demand
UNLISTED_HOURLY_USD = 0.10
EBS_GB_MONTH_USD = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "st1": 0.045, "sc1": 0.015, "standard": 0.05}
EC2 = "Amazon Elastic Compute Cloud - Compute"


def seeded_resources() -> set[str]:
    """Ids of the instances and volumes the seed made (their cost is in `generate`'s)."""
    from . import world

    out = set()
    for region in world.REGIONS:
        ec2 = world.backend("ec2", region)
        out |= {i.id for r in ec2.reservations.values() for i in r.instances} | set(ec2.volumes)
    return out


def with_world(data: dict, seeded: set[str], now: datetime | None = None) -> dict:
    """`data` plus each day's cost of the instances and volumes made since the seed."""
    from . import world

    now = now or datetime.now(timezone.utc)
    out = {day: {service: dict(usage) for service, usage in services.items()} for day, services in data.items()}

    def charge(start: datetime, end: datetime, usage: str, per_hour: float) -> None:
        day = start.date()
        while day <= end.date():
            lo, hi = max(start, datetime.combine(day, datetime.min.time(), timezone.utc)), min(end, datetime.combine(day + timedelta(days=1), datetime.min.time(), timezone.utc))
            if hi > lo and day.isoformat() in out:
                spent = out[day.isoformat()].setdefault(EC2, {})
                spent[usage] = round(spent.get(usage, 0.0) + per_hour * (hi - lo).total_seconds() / 3600, 4)
            day += timedelta(days=1)

    for region in world.REGIONS:
        ec2 = world.backend("ec2", region)
        for instance in (i for r in ec2.reservations.values() for i in r.instances if i.id not in seeded):
            if instance.state == "running":
                charge(_aware(instance.launch_time), now, f"BoxUsage:{instance.instance_type}", HOURLY_USD.get(instance.instance_type, UNLISTED_HOURLY_USD))
        for volume in (v for v in ec2.volumes.values() if v.id not in seeded):
            rate = EBS_GB_MONTH_USD.get(volume.volume_type, 0.08) * int(volume.size) / (30 * 24)
            charge(_aware(volume.create_time), now, f"EBS:VolumeUsage.{volume.volume_type}", rate)
    return out


def _aware(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def generate(today: date, days: int = 45, seed: int = 42) -> dict[str, dict[str, dict[str, float]]]:
    """{day: {service: {usage_type: usd}}} for the `days` days before today; weekends run lighter."""
    rng = random.Random(seed)
    data = {}
    for i in range(days, 0, -1):
        day = today - timedelta(days=i)
        weekday = 0.85 if day.weekday() >= 5 else 1.0
        per_service = {}
        for service, (base, usage) in SERVICES.items():
            total = base * weekday * rng.uniform(0.93, 1.07)
            per_service[service] = {u: round(total * share, 4) for u, share in usage.items()}
        data[day.isoformat()] = per_service
    return data


def get_cost_and_usage(data: dict, request: dict) -> dict:
    """A GetCostAndUsage response computed from `data` for the requested window and grouping."""
    start = date.fromisoformat(request["TimePeriod"]["Start"])
    end = date.fromisoformat(request["TimePeriod"]["End"])
    monthly = request.get("Granularity", "DAILY") == "MONTHLY"
    metrics = request.get("Metrics") or ["BlendedCost"]
    keys = [g["Key"] for g in request.get("GroupBy") or []]
    periods: dict[tuple[str, str], dict] = {}
    day = start
    while day < end:
        if monthly:
            p_start = day.replace(day=1)
            nxt = (p_start + timedelta(days=32)).replace(day=1)
            key = (max(p_start, start).isoformat(), min(nxt, end).isoformat())
        else:
            key = (day.isoformat(), (day + timedelta(days=1)).isoformat())
        bucket = periods.setdefault(key, {})
        for service, usage in data.get(day.isoformat(), {}).items():
            for usage_type, usd in usage.items():
                group = tuple(service if k == "SERVICE" else usage_type if k == "USAGE_TYPE" else "NoDimension" for k in keys)
                bucket[group] = bucket.get(group, 0.0) + usd
        day += timedelta(days=1)
    results = []
    for (p_start, p_end), groups in sorted(periods.items()):
        total = sum(groups.values())
        entry = {"TimePeriod": {"Start": p_start, "End": p_end}, "Estimated": p_end >= date.today().isoformat()}
        if keys:
            entry["Total"] = {}
            entry["Groups"] = [
                {"Keys": list(g), "Metrics": {m: {"Amount": f"{v:.10f}", "Unit": "USD"} for m in metrics}}
                for g, v in sorted(groups.items())
            ]
        else:
            entry["Total"] = {m: {"Amount": f"{total:.10f}", "Unit": "USD"} for m in metrics}
            entry["Groups"] = []
        results.append(entry)
    return {"ResultsByTime": results, "DimensionValueAttributes": []}


def respond(data: dict, body: bytes) -> tuple[str, list, bytes]:
    out = json.dumps(get_cost_and_usage(data, json.loads(body or b"{}"))).encode()
    return "200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(out)))], out
