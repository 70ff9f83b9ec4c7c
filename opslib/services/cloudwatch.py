"""CloudWatch metrics and alarms."""

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
