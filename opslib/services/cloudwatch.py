"""CloudWatch metrics and alarms."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


def alarms_in_state(aws, state: str = "ALARM") -> list[dict]:
    paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
    return [a for page in paginator.paginate(StateValue=state) for a in page.get("MetricAlarms", [])]


def all_alarms(aws, prefix: str = "") -> list[dict]:
    paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
    kwargs = {"AlarmNamePrefix": prefix} if prefix else {}
    return [a for page in paginator.paginate(**kwargs) for a in page.get("MetricAlarms", [])]


def state_changes(aws, hours: int, prefix: str = "") -> list[dict]:
    """Every alarm state change in the last `hours`, newest first (all pages)."""
    end = datetime.now(timezone.utc)
    paginator = aws.client("cloudwatch").get_paginator("describe_alarm_history")
    pages = paginator.paginate(HistoryItemType="StateUpdate", StartDate=end - timedelta(hours=hours), EndDate=end)
    return [i for page in pages for i in page.get("AlarmHistoryItems", []) if i["AlarmName"].startswith(prefix)]


SERVICE_OF_NAMESPACE = {"AWS/ApplicationELB": "ALB", "AWS/ApiGateway": "API Gateway", "AWS/DynamoDB": "DynamoDB"}


def service_of(alarm: dict) -> str:
    namespace = alarm.get("Namespace", "")
    return SERVICE_OF_NAMESPACE.get(namespace, namespace.removeprefix("AWS/") or "custom")


def alarm_scope(prefix: str) -> str:
    """The resource a check over alarms names: the name prefix it was limited to, else all of them."""
    return prefix or "all alarms"


@dataclass(frozen=True)
class Metric:
    """One series to fetch: `id` names it in the result (lowercase letters, digits, underscores)."""

    id: str
    namespace: str
    name: str
    dimensions: tuple  # ((name, value), ...)
    stat: str = "Average"
    label: str = ""

    def query(self, period: int) -> dict:
        return {"Id": self.id, "Label": self.label or f"{self.name} {self.stat}", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": self.namespace, "MetricName": self.name, "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions]},
            "Period": period, "Stat": self.stat}}


def metric_data(aws, metrics: list[Metric], minutes: int, period_seconds: int, end: datetime | None = None) -> dict:
    """Every series in as few GetMetricData calls as the API allows (500 queries each, all pages):
    {id: pandas Series indexed by time}."""
    import pandas as pd

    end = end or datetime.now(timezone.utc)
    client = aws.client("cloudwatch")
    values: dict = {m.id: {} for m in metrics}
    for i in range(0, len(metrics), 500):
        queries = [m.query(period_seconds) for m in metrics[i : i + 500]]
        pages = client.get_paginator("get_metric_data").paginate(
            MetricDataQueries=queries, StartTime=end - timedelta(minutes=minutes), EndTime=end, ScanBy="TimestampAscending")
        for page in pages:
            for result in page["MetricDataResults"]:
                values[result["Id"]].update(zip(result["Timestamps"], result["Values"]))
    return {k: pd.Series(v, dtype=float).sort_index() for k, v in values.items()}


def performance_metrics(ecs_cluster: str, ecs_service: str, db_instance: str, load_balancer: str, api_name: str,
                        function_name: str, table_name: str) -> list[Metric]:
    """The series of seed 003's weekly performance review and seed 001's performance monitoring."""
    ecs, rds = (("ClusterName", ecs_cluster), ("ServiceName", ecs_service)), (("DBInstanceIdentifier", db_instance),)
    alb, api, fn = (("LoadBalancer", load_balancer),), (("ApiName", api_name),), (("FunctionName", function_name),)
    ddb_put, ddb = (("TableName", table_name), ("Operation", "PutItem")), (("TableName", table_name),)
    return [
        Metric("ecs_cpu", "AWS/ECS", "CPUUtilization", ecs, "Average", "ECS CPU %"),
        Metric("rds_connections", "AWS/RDS", "DatabaseConnections", rds, "Maximum", "RDS connections"),
        *[Metric(f"alb_{s.lower()}", "AWS/ApplicationELB", "TargetResponseTime", alb, s, f"ALB {s}") for s in ("Average", "p95", "p99")],
        *[Metric(f"api_{s.lower()}", "AWS/ApiGateway", "Latency", api, s, f"API Gateway {s}") for s in ("Average", "p95", "p99")],
        Metric("lambda_average", "AWS/Lambda", "Duration", fn, "Average", "Lambda average"),
        Metric("lambda_maximum", "AWS/Lambda", "Duration", fn, "Maximum", "Lambda maximum"),
        Metric("ddb_put_latency", "AWS/DynamoDB", "SuccessfulRequestLatency", ddb_put, "Average", "PutItem latency"),
        Metric("ddb_throttled", "AWS/DynamoDB", "ThrottledRequests", ddb, "Sum", "throttled requests"),
    ]
