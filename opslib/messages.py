"""The notifications of an incident, in the seeds' own words (seed 001 "Communication Templates";
seed 003's "Resolution Notification" for RMS, whose scale is 003's)."""

from datetime import datetime, timedelta

from .units import plural


def _minutes(delta: timedelta) -> str:
    """As the seed writes it: `45 minutes`, `1 hour 5 minutes`."""
    hours, minutes = divmod(max(0, round(delta.total_seconds() / 60)), 60)
    parts = ([plural(hours, "hour")] if hours else []) + ([plural(minutes, "minute")] if minutes or not hours else [])
    return " ".join(parts)


def declared(inc, level, current_actions: str = "") -> str:
    lines = [f"🚨 INCIDENT DECLARED - {inc.severity}", f"Incident ID: {inc.id}", f"Service: {inc.service}", f"Impact: {inc.impact}",
             f"Started: {inc.started:%Y-%m-%d %H:%M} UTC", f"Incident Commander: {inc.commander}", f"Status: {inc.status}", "ETA: TBD", "",
             f"Initial assessment: {inc.summary}"]
    if current_actions:
        lines.append(f"Current actions: {current_actions}")
    cadence = f", updates every {level.update_minutes} minutes" if level.update_minutes else ""
    lines += [f"Respond within: {level.response}; page: {level.page}", f"War room: {inc.channel}{cadence}"]
    return "\n".join(lines)


def update(inc, at: datetime, status: str, root_cause: str, actions_taken: list[str], eta: str) -> str:
    lines = [f"📊 INCIDENT UPDATE - {inc.id}", f"Time: {at:%H:%M} UTC (+{_minutes(at - inc.started)})", f"Status: {status}"]
    if root_cause:
        lines.append(f"Root cause: {root_cause}")
    if actions_taken:
        lines += ["Actions taken:"] + [f"- {a}" for a in actions_taken]
    lines.append(f"ETA: {eta or 'TBD'}")
    return "\n".join(lines)


def resolved(inc, at: datetime, root_cause: str, resolution: str, impact: str, postmortem_at: str) -> str:
    took = f"{_minutes(at - inc.started)} ({inc.started:%H:%M}-{at:%H:%M} UTC)"
    if inc.scale == "003":
        return "\n".join([f"✅ RESOLVED - {inc.service}: {inc.impact}", "Status: RESOLVED", f"Resolution Time: {at:%Y-%m-%d %H:%M} UTC",
                          f"Duration: {_minutes(at - inc.started)}", "", resolution or "Issue has been resolved. All services are operational.",
                          f"Root Cause: {root_cause or 'under investigation'}", f"Next Steps: Post-incident review scheduled for {postmortem_at}",
                          f"Incident ID: {inc.id}"])
    return "\n".join([f"✅ INCIDENT RESOLVED - {inc.id}", f"Duration: {took}", f"Root cause: {root_cause or 'under investigation'}",
                      f"Resolution: {resolution}", f"Impact: {impact or inc.impact}", f"Post-mortem: Scheduled for {postmortem_at}"])


def subject(text: str) -> str:
    """An SNS subject (ASCII, at most 100 characters): the message's first line without its emoji."""
    first = text.splitlines()[0].encode("ascii", "ignore").decode().strip()
    return first[:100] or "Incident notification"


def postmortem_slot(at: datetime) -> str:
    """Seed 001: the post-mortem is scheduled for 10:00 the next day."""
    return f"{(at + timedelta(days=1)):%Y-%m-%d} 10:00 UTC"


def took(inc) -> str:
    """An incident's duration (or time so far) as the resolution notice writes it."""
    return _minutes(inc.elapsed())
