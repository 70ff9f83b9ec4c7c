"""Signs of a breach in CloudTrail (seed 001 "Security Event Detection", "Suspected Security Breach")."""

from ..services import cloudtrail
from ..units import plural
from . import CRITICAL, OK, Check, describe_threshold, evaluate


def denied_calls(found: list[dict], minutes: int, warn: int, critical: int) -> Check:
    """Seed 001: `{$.errorCode = "*"}` in the last hour. One identity refused again and again is probing what it may do."""
    by = cloudtrail.denied(cloudtrail.since(found, minutes))
    if not by:
        return Check("cloudtrail_denied_calls", OK, "CloudTrail", 0, describe_threshold(warn, critical), f"No call was refused in the last {minutes} minutes.")
    who, calls = next(iter(by.items()))
    addresses = sorted({r.get("sourceIPAddress", "?") for r in calls})
    names = sorted({r.get("eventName", "?") for r in calls})
    return Check("cloudtrail_denied_calls", evaluate(len(calls), warn, critical), who, len(calls), describe_threshold(warn, critical),
                 f"{plural(len(calls), 'call')} by {who} refused in the last {minutes} minutes, from {', '.join(addresses[:3])}: "
                 f"{', '.join(names[:6])}{' ...' if len(names) > 6 else ''}" + (f" ({plural(len(by) - 1, 'other identity', 'other identities')} refused less)." if len(by) > 1 else "."))


def high_risk_calls(found: list[dict], hours: int) -> Check:
    """An access key made, a policy attached, a trail stopped: none belongs to a normal day."""
    calls = cloudtrail.high_risk(found)
    if not calls:
        return Check("cloudtrail_high_risk_calls", OK, "CloudTrail", 0, "none", f"No IAM, trail, key or bucket-policy change in the last {hours} h.")
    said = "; ".join(f"{r['eventName']} by {cloudtrail.actor(r)} from {r.get('sourceIPAddress', '?')} at {r.get('eventTime', '?')}" for r in calls[:5])
    who = sorted({cloudtrail.actor(r) for r in calls})
    return Check("cloudtrail_high_risk_calls", CRITICAL, ", ".join(who), len(calls), "none",
                 f"{plural(len(calls), 'high-risk call')} in the last {hours} h: {said}{' ...' if len(calls) > 5 else ''}. "
                 "Treat the identity as compromised: isolate, revoke its keys, keep the evidence (below).")
