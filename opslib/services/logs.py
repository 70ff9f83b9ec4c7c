"""CloudWatch Logs."""

from datetime import datetime, timedelta, timezone


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


def filter_events(aws, log_group: str, pattern: str, minutes: int, end: datetime | None = None) -> list[dict]:
    """Every event matching `pattern` in the last `minutes`, all pages."""
    end = end or datetime.now(timezone.utc)
    paginator = aws.client("logs").get_paginator("filter_log_events")
    pages = paginator.paginate(
        logGroupName=log_group,
        filterPattern=pattern,
        startTime=_ms(end - timedelta(minutes=minutes)),
        endTime=_ms(end),
    )
    return [event for page in pages for event in page.get("events", [])]


def describe_groups(aws, names: list[str]) -> list[dict]:
    """The named log groups (one paginated listing per distinct prefix)."""
    paginator = aws.client("logs").get_paginator("describe_log_groups")
    wanted, out = set(names), {}
    for name in sorted(wanted):
        if name in out:
            continue
        for page in paginator.paginate(logGroupNamePrefix=name):
            for group in page.get("logGroups", []):
                if group["logGroupName"] in wanted:
                    out[group["logGroupName"]] = group
    return list(out.values())


def set_retention(aws, log_group: str, days: int) -> None:
    aws.client("logs").put_retention_policy(logGroupName=log_group, retentionInDays=days)
