"""Cost Explorer."""

from ..services import ce
from . import OK, Check, check, describe_threshold, evaluate


@check("ce_cost_yesterday")
def yesterday_cost(aws, scope: str = "account", baseline_days: int = 7, warn_pct: float | None = 50, critical_pct: float | None = 100) -> Check:
    """Yesterday's cost against the average of the days before it: a day-over-day anomaly."""
    days = ce.daily_cost(aws, baseline_days + 1)
    if not days:
        return Check("ce_cost_yesterday", OK, scope, "no data", "-", "Cost Explorer returned no cost data for the window.")
    day, cost = days[-1]
    prior = [c for _, c in days[:-1]]
    avg = sum(prior) / len(prior) if prior else cost
    change = (cost - avg) / avg * 100 if avg else 0.0
    return Check(
        "ce_cost_yesterday", evaluate(change, warn_pct, critical_pct), scope, round(cost, 2),
        describe_threshold(warn_pct, critical_pct, "% over average"),
        f"Cost on {day} was ${cost:,.2f}, {change:+.0f}% against the {len(prior)}-day average of ${avg:,.2f}.",
    )
