"""CloudTrail records as a trail delivers them to CloudWatch Logs (seed 001 "Security Event Detection":
`aws logs filter-log-events --log-group-name CloudTrail/<trail-name>`)."""

import json
from datetime import datetime, timedelta, timezone

from . import logs

# Calls an intruder makes to stay, widen or hide (seed 001 "Suspected Security Breach"): none is part of a normal day here.
HIGH_RISK = frozenset({
    "CreateAccessKey", "CreateUser", "CreateLoginProfile", "UpdateLoginProfile", "AttachUserPolicy", "AttachRolePolicy", "PutUserPolicy",
    "PutRolePolicy", "UpdateAssumeRolePolicy", "AddUserToGroup", "CreatePolicyVersion", "StopLogging", "DeleteTrail", "UpdateTrail",
    "PutEventSelectors", "DeleteFlowLogs", "PutBucketPolicy", "PutBucketAcl", "DisableKey", "ScheduleKeyDeletion", "AuthorizeSecurityGroupIngress",
})


def records(aws, log_group: str, minutes: int) -> list[dict]:
    """Every record of the last `minutes`, parsed (a line that is not a record is left out)."""
    out = []
    for event in logs.filter_events(aws, log_group, "", minutes):
        try:
            out.append(json.loads(event["message"]))
        except ValueError:
            continue
    return out


def since(found: list[dict], minutes: int) -> list[dict]:
    """The records of the last `minutes` (eventTime is ISO 8601 in UTC, so it compares as text)."""
    edge = (datetime.now(timezone.utc) - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return [r for r in found if r.get("eventTime", "") >= edge]


def actor(record: dict) -> str:
    """Who made the call: the IAM user or the role session, as an ARN."""
    who = record.get("userIdentity") or {}
    return who.get("arn") or who.get("principalId") or who.get("type", "unknown")


def denied(found: list[dict]) -> dict[str, list[dict]]:
    """Calls refused (`errorCode` AccessDenied / UnauthorizedOperation / ...), by who made them, most first."""
    by: dict[str, list[dict]] = {}
    for r in found:
        if r.get("errorCode"):
            by.setdefault(actor(r), []).append(r)
    return dict(sorted(by.items(), key=lambda kv: -len(kv[1])))


def high_risk(found: list[dict]) -> list[dict]:
    """The high-risk calls that succeeded, oldest first."""
    return sorted((r for r in found if r.get("eventName") in HIGH_RISK and not r.get("errorCode")), key=lambda r: r.get("eventTime", ""))
