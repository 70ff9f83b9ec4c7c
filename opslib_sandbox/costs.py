"""Cost Explorer in the sandbox: moto only replays canned answers, so the sandbox keeps 45 days
of cost by service and usage type and answers GetCostAndUsage from it for any window.
"""

import json
import random
from datetime import date, timedelta

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
