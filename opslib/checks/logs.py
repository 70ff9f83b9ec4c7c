"""CloudWatch Logs."""

from ..services import logs
from ..units import plural
from . import Check, check, describe_threshold, evaluate


@check("logs_errors_recent")
def error_count(aws, log_group: str, minutes: int = 60, pattern: str = "ERROR", warn: int | None = 5, critical: int | None = 10) -> Check:
    """The seed's `filter-log-events --filter-pattern ERROR ... length(events)` against thresholds."""
    n = len(logs.filter_events(aws, log_group, pattern, minutes))
    return Check(
        "logs_errors_recent", evaluate(n, warn, critical), log_group, n, describe_threshold(warn, critical),
        f"{plural(n, pattern + ' line')} in {log_group} over the last {plural(minutes, 'minute')}.",
    )


def pattern_matches(log_group: str, events: list[dict], pattern: str, minutes: int, warn: int | None, critical: int | None) -> Check:
    """Matches found by a search already made (see `services.logs.search`) against thresholds."""
    n = len(events)
    return Check("logs_pattern_matches", evaluate(n, warn, critical), log_group, n, describe_threshold(warn, critical),
                 f"{plural(n, 'line')} matching {pattern!r} in {log_group} over the last {plural(minutes, 'minute')}.")


def pattern_matches_all(found: dict, pattern: str, minutes: int, warn, critical) -> list[Check]:
    """`pattern_matches` for every group searched."""
    return [pattern_matches(group, events, pattern, minutes, warn, critical) for group, events in found.items()]
