"""CloudWatch Logs."""

import re
from datetime import datetime, timedelta, timezone
from functools import partial

from ..aws import at_once


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


def groups_under(aws, prefix: str = "") -> list[dict]:
    """Seed 001's `aws logs describe-log-groups --log-group-name-prefix PREFIX`: every group (all pages), with its
    retention and stored bytes."""
    pages = aws.client("logs").get_paginator("describe_log_groups").paginate(**({"logGroupNamePrefix": prefix} if prefix else {}))
    return [g for page in pages for g in page.get("logGroups", [])]


def set_retention(aws, log_group: str, days: int | None) -> None:
    """`put-retention-policy`, or with None `delete-retention-policy` (kept forever)."""
    if days is None:
        aws.client("logs").delete_retention_policy(logGroupName=log_group)
    else:
        aws.client("logs").put_retention_policy(logGroupName=log_group, retentionInDays=days)


def search(aws, log_groups: list[str], pattern: str, minutes: int, region: str = "") -> dict[str, list[dict]]:
    """`filter_events` over several groups at once: {group: events} (in `region`, else the run's)."""
    aws = aws.at(region) if region else aws
    found = at_once(partial(filter_events, aws, g, pattern, minutes) for g in log_groups)
    return dict(zip(log_groups, found))


def per_interval(events: list[dict], minutes: int, interval: int, end: datetime | None = None):
    """Matches per `interval` minutes over the window, empty intervals included (a pandas Series)."""
    import pandas as pd

    end = pd.Timestamp(end or datetime.now(timezone.utc)).floor(f"{interval}min") + pd.Timedelta(minutes=interval)
    index = pd.date_range(end=end, periods=max(1, minutes // interval) + 1, freq=f"{interval}min", tz="UTC")
    times = pd.to_datetime([e["timestamp"] for e in events], unit="ms", utc=True)
    counts = pd.Series(1, index=times).resample(f"{interval}min").sum() if len(times) else pd.Series(dtype=int)
    return counts.reindex(index, fill_value=0).astype(int)


_VARIABLE = re.compile(r"\b\d{4}-\d{2}-\d{2}T[\d:.]+\S*|\b[0-9a-f]{8,}\b|\b\d+(\.\d+)?\b|req-[0-9a-f]+")


def top_messages(events: list[dict], n: int = 10) -> list[tuple[str, int]]:
    """The most frequent messages, with times, ids and numbers folded so alike lines count together."""
    from collections import Counter

    return Counter(_VARIABLE.sub("…", e["message"]).strip() for e in events).most_common(n)


def export_tasks(aws, log_group: str) -> list[dict]:
    tasks = aws.client("logs").describe_export_tasks().get("exportTasks", [])
    return [t for t in tasks if t.get("logGroupName") == log_group]


def start_export(aws, log_group: str, bucket: str, prefix: str, start_ms: int, end_ms: int) -> str:
    return aws.client("logs").create_export_task(logGroupName=log_group, fromTime=start_ms, to=end_ms, destination=bucket, destinationPrefix=prefix)["taskId"]
