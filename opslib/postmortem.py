"""The post-mortem draft (seed 000's and 004's templates) with its timeline already in it.

Date, severity, duration and impact come from the incident record; root cause and resolution
from its updates; the timeline from the evidence (opslib.timeline). What only people know, the
action items and lessons, is left as a checklist to fill.
"""

import html
import re
from datetime import timedelta
from urllib.parse import quote

from . import filing, incidents, severity
from .checks import OK, WARN, Check
from .ledger import sha256_file
from .messages import took
from .services.cloudwatch import Metric, metric_data

PLACEHOLDER_ITEMS = ["[Preventive measure 1]", "[Preventive measure 2]", "[Documentation update]"]  # seed 000
NAMED = ("run", "declared", "update", "resolved")  # the timeline's steps that name the person who took them


def draft(inc, events: list, action_items: list[str], lessons: str = "") -> str:
    """Every value people typed (summary, status, root cause, parameters in check sentences) goes in through
    _md: shown as written, never as HTML or a link, in the run's page and in a report's copy."""
    end = f"{inc.resolved:%Y-%m-%d %H:%M} UTC" if inc.resolved else "ongoing"
    lines = [f"# Incident Post-Mortem: {_md(inc.id)}", "", f"**Date**: {inc.started:%Y-%m-%d}", f"**Severity**: {_md(inc.severity)} (seed {_md(inc.scale)} scale)",
             f"**Duration**: {_duration(inc, events, end)}", f"**Service**: {_md(inc.service)}", f"**Impact**: {_md(_impact(inc))}",
             f"**Incident Commander**: {_md(inc.commander)}", "", "## Milestones", ""]
    lines += _milestones(events) + ["", "## Timeline", ""]
    for e in events:
        link = f" ([evidence](../../{quote(e.evidence)}))" if e.evidence else ""  # from runs/incidents/<id>/
        named = e.who and e.kind in NAMED  # a person once per step: who ran it, declared, updated, resolved (a confirmation names its confirmer)
        lines.append(f"- {e.at:%H:%M:%S}: **{_md(e.kind)}** {_md(e.what)}" + (f" ({_md(e.who)})" if named else "") + link)
    lines += ["", "## Root Cause", "", _md(inc.root_cause, lines=True) or "[Not recorded in any update: fill in]", "", "## Resolution", "",
              _md(inc.resolution, lines=True) or "[The incident is not resolved yet]", "", "## Notifications", ""]
    lines += [f"- {_md(n['at'][11:19])}: {_md(n.get('about', ''))} notice to {_md(n['channel'])}: {_md(n['status'])}" + (f" ({_md(n.get('reason', ''))})" if n.get("reason") else "")
              for n in inc.notifications] or ["- none sent"]
    lines += ["", "## Action Items", ""] + ([f"- [ ] {_md(item)}" for item in action_items] or [f"- [ ] {item}" for item in PLACEHOLDER_ITEMS])
    lines += ["", "## Lessons Learned", "", _md(lessons, lines=True) or "[Key takeaways]", ""]
    return "\n".join(lines)


def header(inc, events: list) -> dict:
    """The post-mortem page's own header: the incident, not the run that drafted it."""
    end = f"{inc.resolved:%Y-%m-%d %H:%M} UTC" if inc.resolved else "ongoing"
    return {"Incident": inc.id, "Service": inc.service, "Severity": f"{inc.severity} (seed {inc.scale} scale)", "Status": inc.status,
            "Duration": _duration(inc, events, end), "Incident commander": inc.commander}


def _duration(inc, events: list, end: str) -> str:
    """From when the impact began (the evidence), not from the declaration; the declared span beside it."""
    from .timeline import milestones
    from .units import duration

    began, resolved = dict(milestones(events))["impact began"], inc.resolved
    declared = f"declared {inc.started:%Y-%m-%d %H:%M} UTC, {took(inc)} to resolution" if inc.resolved else f"declared {inc.started:%Y-%m-%d %H:%M} UTC, ongoing"
    if began and resolved and began < inc.started:
        return f"{duration((resolved - began).total_seconds())} of impact ({began:%Y-%m-%d %H:%M} UTC - {end}); {declared}"
    return f"{took(inc)} ({inc.started:%Y-%m-%d %H:%M} UTC - {end})"


def _milestones(events: list) -> list[str]:
    """Each milestone's time, and the time to detect, mitigate and resolve from when the impact began."""
    from .timeline import milestones
    from .units import duration

    found = dict(milestones(events))
    lines = [f"- **{name}**: {when:%Y-%m-%d %H:%M:%S} UTC" if when else f"- **{name}**: not in the evidence" for name, when in found.items()]
    began = found["impact began"]
    for label, key in (("Time to detect", "detected"), ("Time to mitigate", "mitigated"), ("Time to resolve", "resolved")):
        if began and found[key]:
            lines.append(f"- {label}: {duration(max(0.0, (found[key] - began).total_seconds()))}")
    return lines


def alarm_changes(aws, inc, before_minutes: int, regions: list[str]) -> list[dict]:
    """Every alarm state change (`aws cloudwatch describe-alarm-history --history-item-type StateUpdate`) in `regions` from
    `before_minutes` before the declaration to now, as timeline changes."""
    from .services import cloudwatch

    return [{"when": i["Timestamp"], "what": f"alarm {i['AlarmName']}: {i.get('HistorySummary', '')}", "where": "cloudwatch", "kind": "alarm"}
            for i in cloudwatch.state_changes(aws, _hours_back(inc, before_minutes), regions=regions)]


def _hours_back(inc, before_minutes: int) -> int:
    """Whole hours from `before_minutes` before the declaration to now: the lookback the AWS readers take."""
    import math

    return max(1, math.ceil(((incidents.now() - inc.started).total_seconds() / 60 + before_minutes) / 60))


def changes(aws, inc, before_minutes: int, stack: str, cluster: str, service: str, function: str, alias: str, stack_region: str, ecs_region: str) -> list[dict]:
    """The releases and changes made by hand (services.deployments.recent) from `before_minutes` before the declaration to now."""
    from .services import deployments

    return deployments.recent(aws, stack, cluster, service, function, alias, _hours_back(inc, before_minutes), stack_region, ecs_region)


def _impact(inc) -> str:
    resolved = next((u for u in reversed(inc.updates) if u.get("kind") == incidents.RESOLVED and u.get("impact")), None)
    return resolved["impact"] if resolved else inc.impact


_MARKDOWN = re.compile(r"([\\`*_\[\]#])")  # with [ and ] escaped, no ( ) can make a link


def _md(text, lines: bool = False) -> str:
    """Text as markdown shows it literally: HTML escaped (a <script> or <img onerror> is text, not markup),
    markdown's punctuation backslashed (no link, no emphasis, no heading); one line unless `lines`."""
    text = html.escape("" if text is None else str(text), quote=False)
    text = _MARKDOWN.sub(r"\\\1", text)
    return "\n\n".join(part.strip() for part in text.splitlines() if part.strip()) if lines else " ".join(text.split())


def file(rb, inc, text: str) -> list[Check]:
    """Write the draft under runs/incidents/<id>/postmortem.md, its SHA-256 in the incident's records."""
    path = rb.evidence.root / "incidents" / inc.id / "postmortem.md"
    filing.write_text(path, text)
    rel = path.relative_to(rb.evidence.root).as_posix()
    incidents.append(rb.evidence, incidents.POSTMORTEM, inc.id, rb.record_session, path=rel, sha256=sha256_file(path))
    return checks(inc, rel)


def checks(inc, rel: str) -> list[Check]:
    rows = [Check("postmortem_draft", OK, inc.id, rel, "-", f"Draft filed at {rel}: fill in the action items and lessons, then review it with the team.")]
    if inc.is_open:
        rows.append(Check("postmortem_incident_resolved", WARN, inc.id, inc.status, "resolved",
                          f"{inc.id} is still open: resolve it with `opslib run incident-update --incident {inc.id} -p resolve=true` before the review."))
    if inc.unsent:
        rows.append(Check("postmortem_notifications", WARN, inc.id, f"{len(inc.unsent)} not sent", "all sent",
                          f"{len(inc.unsent)} notification(s) of {inc.id} were not delivered: say so in the review."))
    return rows


def key_metrics(aws, inc, minutes_around: int, impact_began=None) -> dict:
    """The affected service's key series (parameters/incidents/severity.yaml) around the incident, from before its impact
    began (the timeline's first milestone) when that was before the declaration: {label: Series}."""
    entry = severity.service(inc.service)
    listed, region = entry.get("metrics") or [], entry.get("region", "")
    metrics = [Metric(f"m{i}", m["namespace"], m["name"], tuple(m["dimensions"].items()), m.get("stat", "Average"), m.get("label", m["name"]), region)
               for i, m in enumerate(listed)]
    start = min(inc.started, impact_began or inc.started) - timedelta(minutes=minutes_around)
    end = min((inc.resolved or incidents.now()) + timedelta(minutes=minutes_around), incidents.now())
    found = metric_data(aws, metrics, max(1, int((end - start).total_seconds() // 60)), 60, end=end) if metrics else {}
    return {m.label: found[m.id] for m in metrics}

