"""CloudWatch alarms."""

from ..services import cloudwatch
from . import Check, check, describe_threshold, evaluate


@check("cloudwatch_alarms_in_alarm")
def alarms_in_alarm(aws, scope: str = "all alarms", warn: int | None = 1, critical: int | None = 3) -> Check:
    alarms = cloudwatch.alarms_in_state(aws, "ALARM")
    names = sorted(a["AlarmName"] for a in alarms)
    listed = (": " + ", ".join(names[:10]) + ("…" if len(names) > 10 else "")) if names else ""
    return Check(
        "cloudwatch_alarms_in_alarm", evaluate(len(names), warn, critical), scope, len(names), describe_threshold(warn, critical),
        f"{len(names)} alarm(s) in ALARM{listed}.",
    )
