"""Did it start after a change? The last deployment or change made by hand (services/deployments.recent)
before the first bad minute (seed 004 "recent code changes"), for errors and for latency alike."""

from datetime import datetime, timedelta

from . import CRITICAL, OK, WARN, Check

RELEASES = ("cloudformation", "ecs", "lambda", "s3")  # where a deployment goes; other rows are changes made by hand (deployments.hand_changes)
SAME_RELEASE_MIN = 10  # deployments this close together went out as one release


def rose_after(check_id: str, what: str, started: dict[str, datetime], deployments: list[dict], lookback_hours: int, quiet: str,
               period_s: int = 60, stopped: datetime | None = None) -> Check:
    """`started`: per source, the first period `what` was over its threshold (none: `quiet` says so); `stopped`: when it last
    was, if that is over (the row then says what it followed and what it stopped after, and is OK: history, not the state)."""
    if not started:
        return Check(check_id, OK, "deployments", len(deployments), f"{what} not after a change",
                     f"{quiet}; {len(deployments)} deployment(s) or change(s) in the last {lookback_hours} h.")
    first = min(started.values())
    source = ", ".join(s for s, t in started.items() if t == first)  # every source that rose in the first bad period
    before = [d for d in deployments if d["when"] < first + timedelta(seconds=period_s)]  # within the first bad period counts
    if not before:
        return Check(check_id, WARN, source, f"from {first:%H:%M} UTC", f"{what} not after a change",
                     f"{source} {what} rose at {first:%H:%M} UTC with no deployment before them in the last {lookback_hours} h: look at the top errors and dependencies.")
    last = max(d["when"] for d in before)
    blamed = [d for d in before if d["when"] >= last - timedelta(minutes=SAME_RELEASE_MIN)]
    gap = max(0, round((first - last).total_seconds() / 60))
    changes = "; ".join(_said(d) for d in blamed)
    if stopped is not None:
        fixes = [d for d in deployments if first < d["when"] <= stopped + timedelta(seconds=period_s)]
        after = f", after {'; '.join(_said(d) for d in fixes[-3:])}" if fixes else ""
        return Check(check_id, OK, ", ".join(d["where"] for d in blamed), f"{last:%Y-%m-%d %H:%M} UTC", f"{what} not after a change",
                     f"{source} {what} rose at {first:%H:%M} UTC, {gap} minute{'' if gap == 1 else 's'} after {changes}; none since {stopped:%H:%M} UTC{after}.")
    return Check(check_id, CRITICAL, ", ".join(d["where"] for d in blamed), f"{last:%Y-%m-%d %H:%M} UTC", f"{what} not after a change",
                 f"{source} {what} rose at {first:%H:%M} UTC, {gap} minute{'' if gap == 1 else 's'} after {changes}: "
                 + ("roll back." if all(d["where"].split(":")[0] in RELEASES for d in blamed) else "undo it (the commands are under Next)."))


def _said(d: dict) -> str:
    return f"{d['what']} on {d['where']} ({d['when']:%H:%M} UTC)"


def suspects(deployments: list[dict], check) -> list[dict]:
    """The deployments and changes a rose_after row blames: on the resources it names, within a release of the time it names
    (not the rollback made since on the same resource)."""
    from datetime import timezone

    named = set(check.resource.split(", "))
    try:
        last = datetime.strptime(str(check.observed), "%Y-%m-%d %H:%M UTC").replace(tzinfo=timezone.utc)
    except ValueError:
        return [d for d in deployments if d["where"] in named]
    return [d for d in deployments if d["where"] in named and last - timedelta(minutes=SAME_RELEASE_MIN) <= d["when"] < last + timedelta(minutes=1)]


def stopped_at(series_by_source: dict, threshold: float, recent_minutes: int):
    """When the last period over `threshold` ended, if none of the last `recent_minutes` is over it (it stopped); else None."""
    from datetime import timezone

    bad = [s[s >= threshold].index.max() for s in series_by_source.values() if len(s) and (s >= threshold).any()]
    if not bad:
        return None
    last = max(bad)
    last = last.to_pydatetime() if hasattr(last, "to_pydatetime") else last
    last = last if last.tzinfo else last.replace(tzinfo=timezone.utc)
    return last + timedelta(minutes=1) if last < datetime.now(timezone.utc) - timedelta(minutes=recent_minutes) else None


def latency_after_change(deployments: list[dict], series: dict, warn_ms: float, lookback_hours: int) -> Check:
    """Did the front doors slow down after a change? The first minute each p95 was over `warn_ms` (the ALB reports seconds)."""
    doors = {"ALB (RMS API)": (series.get("alb_p95"), 1000.0), "API Gateway (EC2 Manager)": (series.get("api_p95"), 1.0)}
    if all(s is None or not len(s) for s, _ in doors.values()):
        return Check("latency_after_change", WARN, "deployments", "no latency read", "latency not after a change",
                     "No latency was read at either front door (the cloudwatch_metrics_read row says why, or nothing reported): "
                     f"{len(deployments)} deployment(s) or change(s) in the last {lookback_hours} h, unjudged.")
    started = {door: s[s * scale >= warn_ms].index.min() for door, (s, scale) in doors.items() if s is not None and len(s) and (s * scale >= warn_ms).any()}
    from .errors import RECENT_MIN

    stopped = stopped_at({door: s * scale for door, (s, scale) in doors.items() if s is not None}, warn_ms, RECENT_MIN)
    return rose_after("latency_after_change", "latency", started, deployments, lookback_hours, f"No p95 latency over {warn_ms:g} ms", stopped=stopped)
