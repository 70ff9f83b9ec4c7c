"""Cost Explorer."""

from ..services import ce
from . import OK, WARN, Check, check, describe_threshold, evaluate


@check("ce_cost_yesterday")
def yesterday_cost(aws, scope: str = "account", baseline_days: int = 7, warn_pct: float | None = 50, critical_pct: float | None = 100) -> Check:
    """Yesterday's cost against the average of the days before it: a day-over-day anomaly."""
    days = ce.daily_cost(aws, baseline_days + 1)
    if not days:
        return Check("ce_cost_yesterday", WARN, scope, "no data", "cost data for every day",
                     f"Cost Explorer returned no cost data (GetCostAndUsage, DAILY, BlendedCost, the last {baseline_days + 1} days): "
                     "an account that runs anything has some; check Cost Explorer is enabled and this role may read it.")
    day, cost = days[-1]
    prior = [c for _, c in days[:-1]]
    avg = sum(prior) / len(prior) if prior else cost
    change = (cost - avg) / avg * 100 if avg else 0.0
    return Check(
        "ce_cost_yesterday", evaluate(change, warn_pct, critical_pct), scope, round(cost, 2),
        describe_threshold(warn_pct, critical_pct, "% over average"),
        f"Cost on {day} was ${cost:,.2f}, {change:+.0f}% against the {len(prior)}-day average of ${avg:,.2f}.",
    )


def service_jumps(frame, baseline_days: int = 7, warn_pct: float | None = 50, critical_pct: float | None = 100, min_usd: float = 1.0) -> list[Check]:
    """Each service whose last day costs more than its average over the days before by the thresholds
    (services under `min_usd` a day are ignored: noise); one OK row when none jumps."""
    if frame is None or len(frame) < 2:
        return [Check("ce_service_cost_jump", WARN, "all services", "no data", "cost data for every day",
                      f"Not enough cost data to compare days (GetCostAndUsage, DAILY, grouped by SERVICE, the last {baseline_days + 1} days).")]
    last, prior = frame.iloc[-1], frame.iloc[-1 - baseline_days : -1].mean()
    rows = []
    for service in frame.columns:
        avg, cost = float(prior[service]), float(last[service])
        if max(avg, cost) < min_usd or not avg:
            continue
        change = (cost - avg) / avg * 100
        status = evaluate(change, warn_pct, critical_pct)
        if status != OK:
            rows.append(Check("ce_service_cost_jump", status, service, round(cost, 2), describe_threshold(warn_pct, critical_pct, "% over average"),
                              f"{service} cost ${cost:,.2f} on {frame.index[-1]:%Y-%m-%d}, {change:+.0f}% against its {baseline_days}-day average of ${avg:,.2f}."))
    return rows or [Check("ce_service_cost_jump", OK, "all services", 0, describe_threshold(warn_pct, critical_pct, "% over average"),
                          f"No service's cost on {frame.index[-1]:%Y-%m-%d} jumped against its {baseline_days}-day average.")]
