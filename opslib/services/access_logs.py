"""An access log in CloudWatch Logs, read for who is being refused (seed 002 "Scenario 2")."""

from collections import Counter
from datetime import datetime, timedelta, timezone

from .. import tally


def refused_by_client(aws, log_group: str, minutes: int, status: int = 429) -> dict:
    """`filter-log-events` for lines answered `status` (the space-delimited pattern does the grep at
    CloudWatch, the pages stream), counted by client in bounded memory, and per minute in all."""
    end = datetime.now(timezone.utc)
    pages = aws.client("logs").get_paginator("filter_log_events").paginate(
        logGroupName=log_group, filterPattern=f"[ip, ident, user, time, request, status={int(status)}, ...]",
        startTime=int((end - timedelta(minutes=minutes)).timestamp() * 1000), endTime=int(end.timestamp() * 1000))
    per_minute: Counter = Counter()  # all refusals a minute: bounded by the window, not by the clients

    def chunks():
        for page in pages:
            events = page.get("events", [])
            per_minute.update(e["timestamp"] // 60000 * 60 for e in events)
            yield "".join(f"{e['message']}\n" for e in events)

    counted = tally.by_client(tally.prefetched(chunks()), status)  # the next page is fetched while this one is counted
    return {"log_group": log_group, "status": status, "minutes": minutes, "tally": counted, "per_minute": per_minute}
