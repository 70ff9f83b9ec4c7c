"""Seven days of CloudWatch history for every metric the catalog plots, with a daily shape.

Hourly points, each a handful of samples (so averages and p95/p99 both mean something): busy
in the working day, quiet at night, a little noise. Scenarios append their own recent points.
"""

import math
import random
from datetime import datetime, timedelta, timezone

from ..world import EC2M, IR, RMS, WEBAPP, backend

ALB = "app/rms-alb-prod/50dc6c495c0c9188"
DAYS = 7
SAMPLES = 4

# (namespace, metric, dimensions, night level, day peak, noise share, unit)
SERIES = [
    ("AWS/ECS", "CPUUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 18, 55, 0.08, "Percent"),
    ("AWS/ECS", "MemoryUtilization", {"ClusterName": RMS["cluster"], "ServiceName": RMS["service"]}, 42, 61, 0.04, "Percent"),
    ("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": RMS["db"]}, 12, 48, 0.10, "Count"),
    ("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": RMS["db"]}, 9, 35, 0.10, "Percent"),
    ("AWS/RDS", "FreeStorageSpace", {"DBInstanceIdentifier": RMS["db"]}, 61e9, 60e9, 0.002, "Bytes"),
    ("AWS/RDS", "DatabaseConnections", {"DBInstanceIdentifier": IR["db"]}, 4, 22, 0.10, "Count"),
    ("AWS/RDS", "ReadLatency", {"DBInstanceIdentifier": IR["db"]}, 0.002, 0.004, 0.15, "Seconds"),
    ("AWS/RDS", "CPUUtilization", {"DBInstanceIdentifier": IR["db"]}, 6, 32, 0.10, "Percent"),
    ("AWS/ApplicationELB", "TargetResponseTime", {"LoadBalancer": ALB}, 0.09, 0.22, 0.25, "Seconds"),
    ("AWS/ApplicationELB", "RequestCount", {"LoadBalancer": ALB}, 800, 9000, 0.08, "Count"),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", {"LoadBalancer": ALB}, 0, 6, 0.5, "Count"),
    ("AWS/ApiGateway", "Latency", {"ApiName": EC2M["api"]}, 95, 180, 0.30, "Milliseconds"),
    ("AWS/ApiGateway", "Count", {"ApiName": EC2M["api"]}, 60, 900, 0.10, "Count"),
    ("AWS/ApiGateway", "5XXError", {"ApiName": EC2M["api"]}, 0, 1, 0.5, "Count"),
    ("AWS/ApiGateway", "4XXError", {"ApiName": EC2M["api"]}, 1, 12, 0.4, "Count"),
    ("AWS/Lambda", "Duration", {"FunctionName": EC2M["function"]}, 300, 520, 0.25, "Milliseconds"),
    ("AWS/Lambda", "Invocations", {"FunctionName": EC2M["function"]}, 30, 450, 0.10, "Count"),
    ("AWS/Lambda", "Errors", {"FunctionName": EC2M["function"]}, 0, 0.5, 0.5, "Count"),
    ("AWS/Lambda", "Throttles", {"FunctionName": EC2M["function"]}, 0, 0, 0, "Count"),
    ("AWS/DynamoDB", "SuccessfulRequestLatency", {"TableName": EC2M["table"], "Operation": "PutItem"}, 4, 7, 0.2, "Milliseconds"),
    ("AWS/DynamoDB", "SuccessfulRequestLatency", {"TableName": EC2M["table"], "Operation": "Query"}, 3, 5, 0.2, "Milliseconds"),
    ("AWS/DynamoDB", "ConsumedWriteCapacityUnits", {"TableName": EC2M["table"]}, 90, 600, 0.15, "Count"),
    ("AWS/DynamoDB", "ConsumedReadCapacityUnits", {"TableName": EC2M["table"]}, 60, 900, 0.15, "Count"),
    ("AWS/DynamoDB", "ThrottledRequests", {"TableName": EC2M["table"]}, 0, 0, 0, "Count"),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": IR["queue"]}, 2, 40, 0.3, "Count"),  # seed 004's work queue
    ("AWS/SQS", "ApproximateAgeOfOldestMessage", {"QueueName": IR["queue"]}, 5, 45, 0.3, "Seconds"),
]


def named_series() -> list[tuple]:
    """Series whose dimensions are ids the seeding drew: the web app's instance (EC2), EC2 Manager's
    user pool (Cognito) and distribution (CloudFront, whose metrics live in us-east-1)."""
    out = []
    for reservation in backend("ec2", WEBAPP["region"]).reservations.values():
        for instance in reservation.instances:
            out.append(("AWS/EC2", "CPUUtilization", {"InstanceId": instance.id}, 8, 35, 0.15, "Percent"))
    for pool in backend("cognito-idp", EC2M["region"]).user_pools:
        out += [("AWS/Cognito", "SignInSuccesses", {"UserPool": pool, "UserPoolClient": "ALL"}, 1, 40, 0.3, "Count"),
                ("AWS/Cognito", "TokenRefreshSuccesses", {"UserPool": pool, "UserPoolClient": "ALL"}, 5, 90, 0.2, "Count")]
    for distribution in backend("cloudfront", "global").distributions:
        out += [("AWS/CloudFront", "Requests", {"DistributionId": distribution, "Region": "Global"}, 200, 4000, 0.1, "None"),
                ("AWS/CloudFront", "CacheHitRate", {"DistributionId": distribution, "Region": "Global"}, 88, 94, 0.02, "Percent"),
                ("AWS/CloudFront", "TotalErrorRate", {"DistributionId": distribution, "Region": "Global"}, 0.1, 0.4, 0.3, "Percent")]
    return out


def all_series() -> list[tuple]:
    return SERIES + named_series()


def region(dims: dict) -> str:
    """Where a series lives: with the system its dimensions name."""
    if "DistributionId" in dims:
        return "us-east-1"  # CloudFront's, wherever its origin is
    if "InstanceId" in dims:
        return WEBAPP["region"]
    names = set(dims.values())
    if names & {RMS["cluster"], RMS["db"], ALB}:
        return RMS["region"]
    return IR["region"] if names & {IR["db"], IR["queue"]} else EC2M["region"]


def level(hour: float, night: float, peak: float) -> float:
    """Quiet around 03:00 UTC, busiest around 15:00."""
    return night + (peak - night) * (0.5 - 0.5 * math.cos(2 * math.pi * (hour - 3) / 24))


def samples(t: datetime, night: float, peak: float, noise: float, rng: random.Random, n: int = SAMPLES) -> list[float]:
    base = level(t.hour + t.minute / 60, night, peak)
    return [max(0.0, rng.gauss(base, abs(base) * noise)) for _ in range(n)]


def _data(metric: str, dims: dict, points: list[tuple[datetime, list[float]]], unit: str) -> list[dict]:
    return [{"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()], "Timestamp": t, "Values": values, "Unit": unit}
            for t, values in points]


def put(cw, namespace: str, metric: str, dims: dict, points: list[tuple[datetime, list[float]]], unit: str) -> None:
    data = _data(metric, dims, points, unit)
    for i in range(0, len(data), 500):
        cw.put_metric_data(Namespace=namespace, MetricData=data[i : i + 500])


def seed(c, now: datetime, rng: random.Random) -> None:
    """Straight into the sandbox's CloudWatch (this runs in its process): the week's 16,000
    datapoints through the API were a second of `sandbox up`. Stored as moto stores what the API
    receives: naive UTC."""
    end = now.replace(minute=0, second=0, microsecond=0)
    hours = [end - timedelta(hours=h) for h in range(DAYS * 24, 0, -1)]
    recent = [now - timedelta(minutes=m) for m in range(60, 5, -5)] + [now - timedelta(minutes=m) for m in range(5, -1, -1)]  # the last hour as alarms see it
    from .. import traffic

    naive = [t.astimezone(timezone.utc).replace(tzinfo=None) for t in hours + recent]
    model = traffic.owned()  # their last hour is the traffic model's (traffic.elapse at reset)
    for namespace, metric, dims, night, peak, noise, unit in all_series():
        values = [samples(t, night, peak, noise, rng) for t in hours] + [samples(t, night, peak, noise, rng, n=1) for t in recent]  # recent: one a minute, a live feed
        if (region(dims), namespace, metric, tuple(dims.items())) in model:
            values = values[: len(hours)]
        backend("cloudwatch", region(dims)).put_metric_data(namespace, _data(metric, dims, list(zip(naive, values)), unit))


def recent(c, namespace: str, metric: str, dims: dict, value: float, minutes: int = 30, unit: str = "None", spread: float = 0.1, seed: int = 7,
           samples: int = SAMPLES) -> None:
    """A scenario's anomaly: a point a minute over the last `minutes` (the last one now), around `value`,
    through the API (`c`: the sandbox's clients) in the series' region."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    points = [(now - timedelta(minutes=m), [max(0.0, rng.gauss(value, value * spread)) for _ in range(samples)]) for m in range(minutes - 1, -1, -1)]
    put(c("cloudwatch", region(dims)), namespace, metric, dims, points, unit)


def share(c, namespace: str, metric: str, dims: dict, of: str, fraction: float, minutes: int = 20, unit: str = "Count") -> None:
    """A scenario's error share: `metric` at `fraction` of series `of` (same namespace and dimensions)
    at each of its points of the last `minutes`, with as many samples, so a rate read as Sum/Sum
    is `fraction` whatever the hour's traffic."""
    since = datetime.now(timezone.utc) - timedelta(minutes=minutes)
    wanted = set(dims.items())
    points = [(_aware(d.timestamp), [d.value * fraction]) for d in backend("cloudwatch", region(dims)).get_all_metrics()
              if d.namespace == namespace and d.name == of and hasattr(d, "value") and {(x.name, x.value) for x in d.dimensions} == wanted
              and _aware(d.timestamp) >= since]  # moto keeps one datum a sample
    put(c("cloudwatch", region(dims)), namespace, metric, dims, sorted(points), unit)


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)
