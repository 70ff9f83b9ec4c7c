"""CloudWatch Logs."""

from ..services import logs
from ..units import plural
from . import Check, check, describe_threshold, evaluate


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
