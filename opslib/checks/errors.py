"""Error rates of the front doors, and whether they rose after a deployment (seed 004 "High Error Rate")."""

from datetime import timedelta

from ..units import number
from . import WARN, Check, describe_threshold, evaluate
from .changes import rose_after, stopped_at

RECENT_MIN = 10  # the rate is judged over the last minutes of the window: red while requests fail, green again once they stop


def rates(series: dict, window_minutes: int, warn: float, critical: float, recent_minutes: int = RECENT_MIN) -> list[Check]:
    """Per source: the share of failed requests, Sum(errors) / Sum(requests), over the window, judged on its last
    `recent_minutes` (an outage shows at once, a fix turns it green without waiting out the window)."""
    from datetime import datetime, timezone

    from ..services.cloudwatch import ERROR_PARTS, ERROR_SOURCES, since, summed

    recent = min(recent_minutes, window_minutes)
    rows = []
    for source, (errors, requests) in ERROR_SOURCES.items():
        e_all, r_all = summed(series, errors), summed(series, requests)
        e, r = float(e_all.sum()), float(r_all.sum())
        if r == 0:
            rows.append(Check("errors_rate", WARN, source, "no requests", describe_threshold(warn, critical, "%"),
                              f"{source}: no requests in the last {window_minutes} minutes: is traffic reaching it at all?"))
            continue
        parts = [(ERROR_PARTS[i], float(series[i].sum())) for i in errors if len(errors) > 1 and i in series and float(series[i].sum())]
        split = "".join(f"; {number(round(n))} {what}" for what, n in parts) if len(parts) > 1 or (parts and parts[0][0] != ERROR_PARTS.get(errors[0])) else ""
        edge = datetime.now(timezone.utc) - timedelta(minutes=recent)
        e_now, r_now = float(since(e_all, edge).sum()), float(since(r_all, edge).sum())
        pct, pct_now = 100 * e / r, (100 * e_now / r_now if r_now else 0.0)
        judged = pct_now if recent < window_minutes else pct
        lately = f"; {number(pct_now)}% in the last {recent} minutes" if recent < window_minutes else ""
        rows.append(Check("errors_rate", evaluate(judged, warn, critical), source, f"{number(judged)}%", describe_threshold(warn, critical, "%"),
                          f"{source}: {number(pct)}% of {number(round(r))} requests failed in the last {window_minutes} minutes ({number(round(e))} errors{split}){lately}."))
    return rows


def after_deploy(deployments: list[dict], rates_by_source: dict, warn: float, lookback_hours: int, period_s: int = 60) -> Check:
    """Did errors start after a deployment? The first period over `warn`, against the last deployment before it."""
    started = {source: s[s >= warn].index.min() for source, s in rates_by_source.items() if len(s) and (s >= warn).any()}
    return rose_after("errors_after_deploy", "errors", started, deployments, lookback_hours, f"No error rate over {number(warn)}%", period_s,
                      stopped_at(rates_by_source, warn, RECENT_MIN))
