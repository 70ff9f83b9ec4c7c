"""CloudWatch metrics and alarms."""

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial

from ..aws import at_once, in_regions


def scaling_alarm(alarm: dict) -> bool:
    """An alarm AWS made for a target-tracking policy ("DO NOT EDIT OR DELETE"): its low half is in ALARM whenever
    the load is below the target, every quiet night. It tells Auto Scaling to scale in, and pages nobody."""
    actions = alarm.get("AlarmActions") or []
    return alarm.get("AlarmName", "").startswith("TargetTracking-") and bool(actions) and all(":scalingPolicy:" in a for a in actions)


def alarms_in_state(aws, state: str = "ALARM") -> list[dict]:
    """The alarms in `state`, Auto Scaling's own left out (`scaling_alarm`)."""
    paginator = aws.client("cloudwatch").get_paginator("describe_alarms")
    return [a for page in paginator.paginate(StateValue=state) for a in page.get("MetricAlarms", []) if not scaling_alarm(a)]


def all_alarms(aws, prefix: str = "", regions: list[str] | None = None) -> list[dict]:
    """Every metric alarm (all pages) of each region, each marked with its `Region`; Auto Scaling's own left out."""
    return in_regions(aws, regions, _alarms, prefix)


def _alarms(aws, prefix: str) -> list[dict]:
    pages = aws.client("cloudwatch").get_paginator("describe_alarms").paginate(**({"AlarmNamePrefix": prefix} if prefix else {}))
    return [a for page in pages for a in page.get("MetricAlarms", []) if not scaling_alarm(a)]


def state_changes(aws, hours: int, prefix: str = "", regions: list[str] | None = None) -> list[dict]:
    """Every alarm state change in the last `hours` in each region, newest first (all pages)."""
    end = datetime.now(timezone.utc)
    return sorted(in_regions(aws, regions, _changes, end - timedelta(hours=hours), end, prefix), key=lambda i: i["Timestamp"], reverse=True)


def _changes(aws, start: datetime, end: datetime, prefix: str) -> list[dict]:
    pages = aws.client("cloudwatch").get_paginator("describe_alarm_history").paginate(HistoryItemType="StateUpdate", StartDate=start, EndDate=end)
    return [i for page in pages for i in page.get("AlarmHistoryItems", []) if i["AlarmName"].startswith(prefix) and not i["AlarmName"].startswith("TargetTracking-")]


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
    region: str = ""  # where the series lives; empty: the run's region

    def query(self, period: int) -> dict:
        return {"Id": self.id, "Label": self.label or f"{self.name} {self.stat}", "ReturnData": True, "MetricStat": {
            "Metric": {"Namespace": self.namespace, "MetricName": self.name, "Dimensions": [{"Name": k, "Value": v} for k, v in self.dimensions]},
            "Period": period, "Stat": self.stat}}


def metric_data(aws, metrics: list[Metric], minutes: int, period_seconds: int, end: datetime | None = None) -> dict:
    """Every series in as few GetMetricData calls as the API allows (500 queries each, all pages; one
    region's at the same time as another's): {id: pandas Series indexed by time}."""
    import pandas as pd

    end = end or datetime.now(timezone.utc)
    values: dict = {m.id: {} for m in metrics}
    by_region: dict = {}
    for m in metrics:
        by_region.setdefault(m.region or aws.region, []).append(m)

    def read(region, chunk):
        pages = aws.client("cloudwatch", region).get_paginator("get_metric_data").paginate(
            MetricDataQueries=[m.query(period_seconds) for m in chunk], StartTime=end - timedelta(minutes=minutes), EndTime=end, ScanBy="TimestampAscending")
        return [result for page in pages for result in page["MetricDataResults"]]

    calls = [partial(read, region, chunk[i : i + 500]) for region, chunk in by_region.items() for i in range(0, len(chunk), 500)]
    for results in at_once(calls):
        for result in results:
            values[result["Id"]].update(zip(result["Timestamps"], result["Values"]))
    return {k: pd.Series(v, dtype=float).sort_index() for k, v in values.items()}


def performance_metrics(ecs_cluster: str, ecs_service: str, db_instance: str, load_balancer: str, api_name: str,
                        function_name: str, table_name: str, ec2m_region: str = "") -> list[Metric]:
    """The series of seed 003's weekly performance review (RMS: the run's region) and seed 001's
    performance monitoring (EC2 Manager: `ec2m_region`)."""
    ecs, rds = (("ClusterName", ecs_cluster), ("ServiceName", ecs_service)), (("DBInstanceIdentifier", db_instance),)
    alb, api, fn = (("LoadBalancer", load_balancer),), (("ApiName", api_name),), (("FunctionName", function_name),)
    ddb_put, ddb = (("TableName", table_name), ("Operation", "PutItem")), (("TableName", table_name),)
    return [
        Metric("ecs_cpu", "AWS/ECS", "CPUUtilization", ecs, "Average", "ECS CPU %"),
        Metric("rds_connections", "AWS/RDS", "DatabaseConnections", rds, "Maximum", "RDS connections"),
        *[Metric(f"alb_{s.lower()}", "AWS/ApplicationELB", "TargetResponseTime", alb, s, f"ALB {s}") for s in ("Average", "p95", "p99")],
        *[Metric(f"api_{s.lower()}", "AWS/ApiGateway", "Latency", api, s, f"API Gateway {s}", ec2m_region) for s in ("Average", "p95", "p99")],
        Metric("lambda_average", "AWS/Lambda", "Duration", fn, "Average", "Lambda average", ec2m_region),
        Metric("lambda_maximum", "AWS/Lambda", "Duration", fn, "Maximum", "Lambda maximum", ec2m_region),
        Metric("ddb_put_latency", "AWS/DynamoDB", "SuccessfulRequestLatency", ddb_put, "Average", "PutItem latency", ec2m_region),
        Metric("ddb_throttled", "AWS/DynamoDB", "ThrottledRequests", ddb, "Sum", "throttled requests", ec2m_region),
    ]


def latency_metrics(load_balancer: str, api_name: str, db_instance: str, rms_region: str = "", ec2m_region: str = "", db_region: str = "") -> list[Metric]:
    """Seed 004 "High Latency" / seed 001 "Performance": p95 at each front door, and the database's CPU."""
    return [Metric("alb_p95", "AWS/ApplicationELB", "TargetResponseTime", (("LoadBalancer", load_balancer),), "p95", "ALB p95 (s)", rms_region),
            Metric("api_p95", "AWS/ApiGateway", "Latency", (("ApiName", api_name),), "p95", "API Gateway p95 (ms)", ec2m_region),
            Metric("db_cpu", "AWS/RDS", "CPUUtilization", (("DBInstanceIdentifier", db_instance),), "Average", "database CPU %", db_region)]


def response_metrics(load_balancer: str, api_name: str, rms_region: str = "", ec2m_region: str = "") -> list[Metric]:
    """Seed 001's rollback trigger on response time: the average at each front door."""
    return [Metric("alb_avg", "AWS/ApplicationELB", "TargetResponseTime", (("LoadBalancer", load_balancer),), "Average", "ALB average (s)", rms_region),
            Metric("api_avg", "AWS/ApiGateway", "Latency", (("ApiName", api_name),), "Average", "API Gateway average (ms)", ec2m_region)]


def function_metrics(name: str) -> list[Metric]:
    """Seed 001 "Lambda Function Issues" step 3: errors, invocations, duration (average and maximum), throttles."""
    fn = (("FunctionName", name),)
    return [Metric("errors", "AWS/Lambda", "Errors", fn, "Sum", "errors"), Metric("invocations", "AWS/Lambda", "Invocations", fn, "Sum", "invocations"),
            Metric("duration_avg", "AWS/Lambda", "Duration", fn, "Average", "average"), Metric("duration_max", "AWS/Lambda", "Duration", fn, "Maximum", "maximum"),
            Metric("throttles", "AWS/Lambda", "Throttles", fn, "Sum", "throttles")]


def sign_in_metrics(pool: dict | None) -> list[Metric]:
    """Seed 001 "Authentication Issues" step 3: SignInSuccesses of the pool, a Sum a period."""
    pool_id = (pool or {}).get("Id", "")
    return [Metric("successes", "AWS/Cognito", "SignInSuccesses", (("UserPool", pool_id), ("UserPoolClient", "ALL")), "Sum", "sign-in successes")]


ERROR_SOURCES = {  # source: (failed requests: ids summed, requests: ids summed)
    "ALB (RMS API)": (("alb_5xx", "alb_elb_5xx"), ("alb_requests",)),  # RequestCount counts what the ALB answered itself
    "API Gateway (EC2 Manager)": (("api_5xx",), ("api_requests",)),
    "Lambda (EC2 Manager)": (("lambda_errors", "lambda_throttles"), ("lambda_invocations", "lambda_throttles")),  # a throttled call is no invocation
}
ERROR_PARTS = {"alb_5xx": "from the targets", "alb_elb_5xx": "answered by the load balancer itself (HTTPCode_ELB_5XX_Count: no healthy target, or none answered)",
               "lambda_errors": "errors", "lambda_throttles": "throttled (Throttles: its concurrency is used up or reserved at 0)"}


def error_metrics(load_balancer: str, api_name: str, function_name: str, rms_region: str = "", ec2m_region: str = "") -> list[Metric]:
    """Errors and requests of each front door (seed 004 "High Error Rate", seed 001 "API Gateway Issues"), as Sums: the
    load balancer's own 5xx and the function's throttles among them (an outage behind either shows in no target or error count)."""
    alb, api, fn = (("LoadBalancer", load_balancer),), (("ApiName", api_name),), (("FunctionName", function_name),)
    return [
        Metric("alb_5xx", "AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", alb, "Sum", "ALB target 5xx", rms_region),
        Metric("alb_elb_5xx", "AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", alb, "Sum", "ALB's own 5xx", rms_region),
        Metric("alb_requests", "AWS/ApplicationELB", "RequestCount", alb, "Sum", "ALB requests", rms_region),
        Metric("api_5xx", "AWS/ApiGateway", "5XXError", api, "Sum", "API Gateway 5xx", ec2m_region),
        Metric("api_requests", "AWS/ApiGateway", "Count", api, "Sum", "API Gateway requests", ec2m_region),
        Metric("lambda_errors", "AWS/Lambda", "Errors", fn, "Sum", "Lambda errors", ec2m_region),
        Metric("lambda_throttles", "AWS/Lambda", "Throttles", fn, "Sum", "Lambda throttles", ec2m_region),
        Metric("lambda_invocations", "AWS/Lambda", "Invocations", fn, "Sum", "Lambda invocations", ec2m_region),
    ]


def since(s, edge):
    """The part of a time series at or after `edge` (its index aware or naive UTC)."""
    if s is None or not len(s):
        return s
    naive = getattr(s.index, "tz", None) is None
    return s[s.index >= (edge.replace(tzinfo=None) if naive else edge)]


def summed(series: dict, ids: tuple):
    """The per-period sum of several series (missing periods count 0)."""
    import pandas as pd

    parts = [series.get(i, pd.Series(dtype=float)).rename(i) for i in ids]
    return pd.concat(parts, axis=1).fillna(0.0).sum(axis=1)


def error_rates(series: dict) -> dict:
    """{source: per-period error share in %} from `error_metrics` data."""
    import pandas as pd

    out = {}
    for source, (errors, requests) in ERROR_SOURCES.items():
        both = pd.concat([summed(series, errors).rename("e"), summed(series, requests).rename("r")], axis=1).fillna(0.0)
        out[source] = (100 * both["e"] / both["r"].where(both["r"] > 0)).dropna()
    return out


def table_metrics(table: str) -> list[Metric]:
    """Seed 001 "DynamoDB Issues": consumed capacity and throttling of one table, as Sums a period."""
    dims = (("TableName", table),)
    return [Metric("consumed_read", "AWS/DynamoDB", "ConsumedReadCapacityUnits", dims, "Sum", "consumed reads"),
            Metric("consumed_write", "AWS/DynamoDB", "ConsumedWriteCapacityUnits", dims, "Sum", "consumed writes"),
            Metric("throttled", "AWS/DynamoDB", "ThrottledRequests", dims, "Sum", "throttled")]
