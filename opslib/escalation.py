"""Seed 000's escalation path for a P0 ("P0: Service Completely Down"), timed from the incident's start.

1. Attempt restart (5 min)  2. Roll back to the last known good version (10 min)  3. Contact AWS
Support  4. Notify stakeholders. Each step's window follows the one before, so 5 minutes into a
P0 the restart should have worked, and at 15 the responder should be on the phone to AWS.
"""

from datetime import datetime

from . import incidents
from .checks import CRITICAL, OK, WARN, Check
from .errors import BadInput

STEPS = [  # (step, from minute, to minute, how)
    ("Attempt restart", 0, 5, "the restart or reboot this notebook plans, applied with confirm=True"),
    ("Roll back to the last known good version", 5, 15, 'seed 000 "Quick Rollback to Previous Version"'),
    ("Contact AWS Support", 15, None, "a support case, severity matching the incident"),
    ("Notify stakeholders", 15, None, "opslib run incident-update --incident ID (seed 001 templates)"),
]


def started(evidence, incident_id: str) -> datetime | None:
    """When the incident began, if it is one declared here."""
    try:
        return incidents.find(evidence, incident_id).started if incident_id else None
    except BadInput:  # an id from another tool: tagged, but its start is not known here
        return None


def path(since: datetime | None, now: datetime | None = None):
    """The steps, each marked done-by, now or later."""
    import pandas as pd

    minutes = (now or incidents.now()) - since if since else None
    m = minutes.total_seconds() / 60 if minutes is not None else None
    rows = []
    for step, start, end, how in STEPS:
        when = f"{start}-{end} min" if end else f"from {start} min"
        if m is None:
            where = "timers start when an incident is declared"
        elif end is not None and m >= end:
            where = "window passed"
        elif m >= start:
            where = "NOW"
        else:
            where = f"in {start - m:.0f} min"
        rows.append({"step": step, "window": when, "at this point": where, "how": how})
    return pd.DataFrame(rows)


def judge(since: datetime | None, incident_id: str, report, now: datetime | None = None) -> Check:
    """WARN when the restart window has passed with the service still down, CRITICAL past 15 minutes."""
    down = any(c.status == CRITICAL for c in report)
    if not since:
        return Check("incident_escalation", OK, incident_id or "no incident", "-", "restart within 5 min",
                     "No incident declared here to time from: declare one (`opslib run incident-declare`) and tag this run with --incident.")
    m = ((now or incidents.now()) - since).total_seconds() / 60
    if not down:
        return Check("incident_escalation", OK, incident_id, f"{m:.0f} min", "restart within 5 min", f"{m:.0f} minutes into {incident_id}: nothing here is down.")
    if m >= 15:
        return Check("incident_escalation", CRITICAL, incident_id, f"{m:.0f} min", "resolved within 15 min",
                     f"{m:.0f} minutes into {incident_id} and still down: contact AWS Support and notify stakeholders now (seed 000 steps 3-4).")
    if m >= 5:
        return Check("incident_escalation", WARN, incident_id, f"{m:.0f} min", "restart within 5 min",
                     f"{m:.0f} minutes into {incident_id}: the restart window has passed; roll back to the last known good version (seed 000 step 2).")
    return Check("incident_escalation", OK, incident_id, f"{m:.0f} min", "restart within 5 min",
                 f"{m:.0f} minutes into {incident_id}: within the 5-minute restart window.")
