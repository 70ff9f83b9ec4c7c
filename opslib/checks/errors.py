"""Error rates of the front doors, and whether they rose after a deployment (seed 004 "High Error Rate")."""

from datetime import timedelta

from ..units import number
from . import CRITICAL, OK, WARN, Check, describe_threshold, evaluate

SAME_RELEASE_MIN = 10  # deployments this close together went out as one release


def rates(series: dict, window_minutes: int, warn: float, critical: float) -> list[Check]:
    """The window's share of failed requests per source: Sum(errors) / Sum(requests)."""
    from ..services.cloudwatch import ERROR_SOURCES

    rows = []
    for source, (errors, requests) in ERROR_SOURCES.items():
        e, r = float(series[errors].sum()), float(series[requests].sum())
        if r == 0:
            rows.append(Check("errors_rate", WARN, source, "no requests", describe_threshold(warn, critical, "%"),
                              f"{source}: no requests in the last {window_minutes} minutes: is traffic reaching it at all?"))
            continue
        pct = 100 * e / r
        rows.append(Check("errors_rate", evaluate(pct, warn, critical), source, f"{number(pct)}%", describe_threshold(warn, critical, "%"),
                          f"{source}: {number(pct)}% of {number(r)} requests failed in the last {window_minutes} minutes ({number(e)} errors)."))
    return rows


def after_deploy(deployments: list[dict], rates_by_source: dict, warn: float, lookback_hours: int, period_s: int = 60) -> Check:
    """Did errors start after a deployment? The first period over `warn`, against the last deployment before it."""
    started = {source: s[s >= warn].index.min() for source, s in rates_by_source.items() if len(s) and (s >= warn).any()}
    if not started:
        return Check("errors_after_deploy", OK, "deployments", len(deployments), "errors not after a deploy",
                     f"No error rate over {number(warn)}%; {len(deployments)} deployment(s) in the last {lookback_hours} h.")
    source, first = min(started.items(), key=lambda kv: kv[1])
    before = [d for d in deployments if d["when"] <= first + timedelta(seconds=period_s)]  # within the first bad period counts
    if not before:
        return Check("errors_after_deploy", WARN, source, f"from {first:%H:%M} UTC", "errors not after a deploy",
                     f"{source} errors rose at {first:%H:%M} UTC with no deployment before them in the last {lookback_hours} h: look at the top errors and dependencies.")
    last = max(d["when"] for d in before)
    suspects = [d for d in before if d["when"] >= last - timedelta(minutes=SAME_RELEASE_MIN)]
    gap = (first - last).total_seconds() / 60
    what = "; ".join(f"{d['what']} on {d['where']} ({d['when']:%H:%M} UTC)" for d in suspects)
    return Check("errors_after_deploy", CRITICAL, ", ".join(d["where"] for d in suspects), f"{last:%H:%M} UTC", "errors not after a deploy",
                 f"{source} errors rose at {first:%H:%M} UTC, {max(0, gap):.0f} minutes after {what}: roll back.")


def suspects(deployments: list[dict], check) -> list[dict]:
    """The deployments an errors_after_deploy row blames."""
    named = set(check.resource.split(", "))
    return [d for d in deployments if d["where"] in named]
