"""CloudWatch alarms."""

from collections import Counter

from ..services import cloudwatch
from . import CRITICAL, OK, WARN, Check, check, describe_threshold, evaluate
from ..units import duration, plural, quantity


@check("cloudwatch_alarms_in_alarm")
def alarms_in_alarm(aws, scope: str = "all alarms", warn: int | None = 1, critical: int | None = 3, regions: list[str] | None = None) -> Check:
    """Alarms in ALARM in each of `regions` (the run's own when none): an alarm firing in a region nobody looked in is
    the one that is missed."""
    from ..aws import in_regions

    alarms = in_regions(aws, regions, cloudwatch.alarms_in_state, "ALARM")
    several = len(set(regions or [])) > 1
    names = sorted(f"{a['AlarmName']} ({a['Region']})" if several else a["AlarmName"] for a in alarms)
    listed = (": " + ", ".join(names[:10]) + ("…" if len(names) > 10 else "")) if names else ""
    where = f" in {', '.join(regions)}" if several else ""
    return Check(
        "cloudwatch_alarms_in_alarm", evaluate(len(names), warn, critical), scope, len(names), describe_threshold(warn, critical),
        f"{plural(len(names), 'alarm')} in ALARM{where}{listed}.",
    )


# The notebook that looks behind an alarm, by the metric it watches (the rest: the week's trend, performance-review).
LOOKS_BEHIND = {"TargetResponseTime": "high-latency", "Latency": "high-latency", "HTTPCode_Target_5XX_Count": "high-error-rate",
                "HTTPCode_ELB_5XX_Count": "high-error-rate", "5XXError": "high-error-rate", "Errors": "lambda-errors", "Duration": "lambda-errors",
                "Throttles": "lambda-errors", "ThrottledRequests": "dynamodb-throttling", "DatabaseConnections": "high-latency"}


def alarms_firing(alarms: list[dict], scope: str = "all alarms") -> list[Check]:
    """One CRITICAL row per alarm in ALARM (a responder acts on each), naming the notebook that looks behind it; one OK row when none fire."""
    firing = sorted((a for a in alarms if a["StateValue"] == "ALARM"), key=lambda a: a["AlarmName"])
    if not firing:
        return [Check("cloudwatch_alarm_firing", OK, scope, 0, "no alarm in ALARM", f"None of {len(alarms)} alarms is in ALARM.")]
    return [
        Check("cloudwatch_alarm_firing", CRITICAL, a["AlarmName"], a["StateValue"], "state OK",
              f"{a['AlarmName']} ({cloudwatch.service_of(a)}) in ALARM since {a['StateUpdatedTimestamp']:%H:%M} UTC: {a.get('StateReason', '')}"
              f" Look behind it: `opslib run {LOOKS_BEHIND.get(a.get('MetricName', ''), 'performance-review')}`")
        for a in firing
    ]


def alarms_flapping(changes: list[dict], hours: int, warn: int = 4, scope: str = "all alarms") -> Check:
    """Alarms that changed state `warn` or more times in the window: noise that hides real pages."""
    counts = Counter(c["AlarmName"] for c in changes)
    flapping = sorted(name for name, n in counts.items() if n >= warn)
    status = WARN if flapping else OK
    detail = ": " + ", ".join(f"{n} ({counts[n]}x)" for n in flapping) if flapping else ""
    return Check("cloudwatch_alarms_flapping", status, scope, len(flapping), f"warn at >= {warn} changes in {hours} h",
                 f"{plural(len(changes), 'state change')} in the last {duration(hours * 3600)}; {plural(len(flapping), 'alarm')} flapping{detail}.")



RECENT_MIN = 10  # judged on the window's last minutes: red while it lasts, green again once it is over (the peak is still said)


def metric_recent(check_id: str, resource: str, series, warn, critical, unit: str = "", what: str = "", minutes: int = 30,
                  recent_minutes: int = RECENT_MIN) -> Check:
    """The worst value of a series over its last `recent_minutes` against thresholds, with the window's peak (an empty series
    is no data, WARN)."""
    from datetime import datetime, timedelta, timezone

    if series is None or len(series) == 0:
        return Check(check_id, WARN, resource, None, describe_threshold(warn, critical, unit), f"No {what or check_id} data for {resource} in the last {minutes} minutes.")
    peak = float(series.max())
    recent = min(recent_minutes, minutes)
    lately = cloudwatch.since(series, datetime.now(timezone.utc) - timedelta(minutes=recent))
    judged = float(lately.max()) if recent < minutes and len(lately) else peak
    said = f"; {quantity(judged, unit)} at most in the last {recent} minutes" if recent < minutes and judged != peak else ""
    return Check(check_id, evaluate(judged, warn, critical), resource, round(judged, 3), describe_threshold(warn, critical, unit),
                 f"{what} for {resource} peaked at {quantity(peak, unit)} in the last {minutes} minutes{said}.")
