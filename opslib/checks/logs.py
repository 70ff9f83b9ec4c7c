"""CloudWatch Logs."""

from ..services import logs
from ..units import plural
from . import OK, WARN, Check, check, describe_threshold, evaluate


RECENT_MIN = 10  # the count is judged over the last minutes: red while errors are logged, green again once they stop
INTERVAL_MIN = 10  # the window's count is said per interval, so a reader sees when they stopped


@check("logs_errors_recent")
def error_count(aws, log_group: str, minutes: int = 60, pattern: str = "ERROR", warn: int | None = 5, critical: int | None = 10,
                recent_minutes: int = RECENT_MIN) -> Check:
    """The seed's `filter-log-events --filter-pattern ERROR ... length(events)`: the lines of the last `recent_minutes` against
    thresholds, the window's lines per interval and when the last one was logged (a fix turns it green without waiting out the window)."""
    from datetime import datetime, timezone

    events = logs.filter_events(aws, log_group, pattern, minutes)
    now = datetime.now(timezone.utc)
    recent = min(recent_minutes, minutes)
    edge = (now.timestamp() - recent * 60) * 1000
    n, lately = len(events), sum(1 for e in events if e["timestamp"] >= edge)
    sentence = f"{plural(n, pattern + ' line')} in {log_group} over the last {plural(minutes, 'minute')}"
    if n:
        buckets = [0] * max(1, -(-minutes // INTERVAL_MIN))
        for e in events:
            back = int((now.timestamp() * 1000 - e["timestamp"]) // (INTERVAL_MIN * 60000))
            buckets[min(len(buckets) - 1, max(0, back))] += 1
        last = datetime.fromtimestamp(max(e["timestamp"] for e in events) / 1000, timezone.utc)
        sentence += (f" (per {INTERVAL_MIN} minutes, oldest first: {', '.join(map(str, reversed(buckets)))}); "
                     + (f"{plural(lately, 'line')} in the last {recent} minutes" if lately else f"none since {last:%H:%M} UTC"))
    judged = lately if recent < minutes else n
    return Check("logs_errors_recent", evaluate(judged, warn, critical), log_group, judged,
                 describe_threshold(warn, critical) + (f" in the last {recent} minutes" if recent < minutes else ""), sentence + ".")


def pattern_matches(log_group: str, events: list[dict], pattern: str, minutes: int, warn: int | None, critical: int | None) -> Check:
    """Matches found by a search already made (see `services.logs.search`) against thresholds."""
    n = len(events)
    return Check("logs_pattern_matches", evaluate(n, warn, critical), log_group, n, describe_threshold(warn, critical),
                 f"{plural(n, 'line')} matching {pattern!r} in {log_group} over the last {plural(minutes, 'minute')}.")


def pattern_matches_all(found: dict, pattern: str, minutes: int, warn, critical) -> list[Check]:
    """`pattern_matches` for every group searched."""
    return [pattern_matches(group, events, pattern, minutes, warn, critical) for group, events in found.items()]


STORAGE_USD_GB_MONTH = 0.03  # CloudWatch Logs archived storage, us-east-1 and us-west-2


def retention(groups: list[dict] | None, policy_days: int, prefix: str, region: str) -> list[Check]:
    """Seed 001 "Log Rotation and Cleanup": a group kept forever (no retention) or longer than the policy is a row, with what
    it stores and costs a month; one OK row when every group keeps to it."""
    from ..units import size

    groups = groups or []
    scope = f"{prefix or 'every group'} in {region}"
    out = []
    for g in groups:
        days, stored = g.get("retentionInDays"), int(g.get("storedBytes") or 0)
        if days is not None and days <= policy_days:
            continue
        cost = stored / 1024**3 * STORAGE_USD_GB_MONTH
        kept = "kept forever (no retention policy)" if days is None else f"kept {days} days"
        out.append(Check("logs_retention_policy", WARN, g["logGroupName"], "never expire" if days is None else f"{days} d", f"retention <= {policy_days} days",
                         f"{g['logGroupName']}: {kept}, over seed 001's {policy_days} days; it stores {size(stored)} (${cost:,.2f} a month at ${STORAGE_USD_GB_MONTH}/GB)."))
    if not out:
        out.append(Check("logs_retention_policy", OK if groups else WARN, scope, len(groups), f"retention <= {policy_days} days",
                         f"{plural(len(groups), 'log group')} under {scope}: each keeps {policy_days} days or fewer." if groups else
                         f"No log group under {scope}: is the prefix right?"))
    return out
