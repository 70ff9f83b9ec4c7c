"""A deployment's gate before (seed 004 "Pre-Deployment Checklist") and its rollback triggers after
(seed 001 "Deployment Rollback Triggers": health failing > 5 min, error rate > 10 % for > 10 min,
response > 5 s average for > 15 min)."""

from ..units import number
from . import CRITICAL, OK, WARN, Check

CHECKLIST = {  # parameter: the seed's words
    "tests_passing": "All tests passing in CI/CD",
    "security_scan_done": "Security scan completed",
    "change_ticket": "Change ticket approved",
    "window_confirmed": "Deployment window confirmed",
    "team_notified": "Team notified in #deployments Slack channel",
}


def checklist(stage: str, answers: dict) -> list[Check]:
    """Before deploying, one row per item of the checklist: an item not ticked stops the deployment. After it, none."""
    if stage != "pre":
        return []
    rows = []
    for name, said in CHECKLIST.items():
        given = answers.get(name)
        detail = f" ({given})" if isinstance(given, str) and given else ""
        rows.append(Check("deploy_checklist", OK if given else CRITICAL, name, "yes" if given else "no", "confirmed",
                          f"{said}: yes{detail}." if given else f"{said}: not confirmed. Do not deploy until it is (then run again with -p {name}=...)."))
    return rows


def error_triggers(front_doors: dict | None, site: dict | None, limit_pct: float, minutes: int) -> list[Check]:
    """Seed 001: error rate > 10 % for > 10 minutes, at each front door (ALB, API Gateway, Lambda: errors / requests) and the site (CloudFront)."""
    from ..services.cloudwatch import error_rates

    sources = {**(error_rates(front_doors) if front_doors else {}), **({"CloudFront (EC2 Manager site)": site["error_rate"]} if site else {})}
    return sustained("deploy_error_trigger", sources, limit_pct, minutes, "%", "the share of failed requests")


def latency_triggers(series: dict | None, limit_s: float, minutes: int) -> list[Check]:
    """Seed 001: response time > 5 s average for > 15 minutes, at the ALB (seconds) and API Gateway (milliseconds)."""
    if not series:
        return []
    sources = {"ALB (RMS API)": series["alb_avg"], "API Gateway (EC2 Manager)": series["api_avg"] / 1000}
    return sustained("deploy_latency_trigger", sources, limit_s, minutes, " s", "the average response time")


def sustained(check_id: str, series_by_source: dict, limit: float, minutes: int, unit: str, what: str) -> list[Check]:
    """A trigger per source: CRITICAL when every point of the last `minutes` is over `limit` (the seed's
    "for > N minutes"), WARN when only some are, OK when none is; a source with no points says so."""
    rows = []
    for source, series in series_by_source.items():
        points = series.dropna()
        if not len(points):
            rows.append(Check(check_id, WARN, source, "no data", f"< {number(limit)}{unit} (over {minutes} min)",
                              f"{source}: no data for {what} in the last {minutes} minutes, where traffic is expected: a wrong dimension or a silent "
                              "source would read green; check the metric exists for it."))
            continue
        over, peak, level = int((points > limit).sum()), float(points.max()), OK
        if over == len(points):
            level, state = CRITICAL, f"over {number(limit)}{unit} for all of the last {minutes} minutes: a rollback trigger"
        elif over:
            level, state = WARN, f"over {number(limit)}{unit} in {over} of {len(points)} minutes (a trigger once it holds for {minutes})"
        else:
            state = f"under {number(limit)}{unit} throughout"
        rows.append(Check(check_id, level, source, f"{number(float(points.mean()))}{unit}", f"< {number(limit)}{unit} (over {minutes} min)",
                          f"{source}: {what} {state} (average {number(float(points.mean()))}{unit}, peak {number(peak)}{unit})."))
    return rows
