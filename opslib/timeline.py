"""An incident's timeline, read back from the evidence: nobody types it.

Sources: the incident records (declared, updates, notifications, resolved), the ledger (every
run tagged with the incident, and the runs that wrote its records) and the journal (each of those
runs' checks that went red, and every action planned, confirmed and applied).
"""

from dataclasses import dataclass
from datetime import datetime

from . import history, incidents
from .checks import CRITICAL, ERROR

RED = (CRITICAL, ERROR)


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # declared, update, resolved, notification, run, red, planned, confirmed, applied, failed, interrupted, changed, alarm
    who: str
    what: str
    run_id: str = ""
    notebook: str = ""
    evidence: str = ""  # the run's filed HTML, relative to the runs directory

    def row(self) -> dict:
        return {"time (UTC)": f"{self.at:%Y-%m-%d %H:%M:%S}", "what": self.kind, "detail": self.what, "who": self.who,
                "notebook": self.notebook.split("/")[-1], "run": self.run_id, "evidence": self.evidence}


def _at(text) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text))
    except ValueError:
        return None


def build(evidence, incident_id: str, index=None, before_minutes: int = 0, changes: list[dict] = ()) -> tuple[list[Event], list[dict]]:
    """The events, oldest first, and the incident's runs: the incident's records, and through the
    evidence index only its runs' ledger and journal records. With `before_minutes`, also the red runs
    not tagged with it from that long before its declaration to its resolution (marked untagged), and
    `changes` (services.deployments rows: releases and changes made by hand) in that window."""
    from datetime import timedelta, timezone

    from .evidence_index import Index

    own = index is None
    index = index or Index.open(evidence)
    try:
        records = evidence.incidents.records()
        wanted = index.incident_runs(incident_id) | {r.get("run_id") for r in records if r.get("incident") == incident_id and r.get("run_id")}
        runs = index.runs(run_ids=wanted)
        journal = index.journal_of_runs(wanted)
        start, end = window(records, incident_id, before_minutes)
        untagged = [r for r in index.runs(since=start.isoformat(timespec="seconds"), until=end.isoformat(timespec="seconds"))
                    if r.get("run_id") not in wanted and str(r.get("status")) in ("critical", "error")] if start else []
    finally:
        if own:
            index.close()
    events = list(_incident_events(records, incident_id))
    for run in untagged:
        if _at(run.get("started")):
            events.append(Event(_at(run["started"]), "red", history.who(run), f"{run.get('notebook', '').split('/')[-1]}: {str(run.get('status', '')).upper()} "
                                f"(untagged: run without --incident {incident_id})", run["run_id"], run.get("notebook", ""), run.get("html") or ""))
    for c in changes:
        when = c["when"] if c["when"].tzinfo else c["when"].replace(tzinfo=timezone.utc)
        if start and start <= when <= end + timedelta(minutes=1):
            events.append(Event(when, "alarm", "", c["what"]) if c.get("kind") == "alarm" else Event(when, "changed", "", f"{c['what']} on {c['where']}"))
    for run in runs:
        if _at(run.get("started")):
            counts = run.get("checks") if isinstance(run.get("checks"), dict) else {}
            shown = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "no checks"
            how = "" if run.get("mode") == "headless" else " (by hand in JupyterLab)"
            events.append(Event(_at(run["started"]), "run", history.who(run), f"{run.get('notebook', '').split('/')[-1]}{how}: {str(run.get('status', '')).upper()} ({shown})",
                                run["run_id"], run.get("notebook", ""), run.get("html") or ""))
    events += _journal_events(journal, wanted)
    began = {r.get("run_id"): r.get("seq", 0) for r in journal if r.get("kind") == "run-start"}  # the order runs started in
    return sorted(events, key=lambda e: (e.at, began.get(e.run_id, float("inf")), _WITHIN_A_SECOND.get(e.kind, 9))), runs


def window(records: list[dict], incident_id: str, before_minutes: int) -> tuple:
    """(from `before_minutes` before the declaration, to the resolution or now), aware UTC; (None, None) without either."""
    from datetime import timedelta, timezone

    declared = next((_at(r.get("at")) for r in records if r.get("incident") == incident_id and r.get("kind") == incidents.DECLARED), None)
    if not before_minutes or declared is None:
        return None, None
    declared = declared if declared.tzinfo else declared.replace(tzinfo=timezone.utc)
    resolved = next((_at(r.get("at")) for r in records if r.get("incident") == incident_id and r.get("kind") == incidents.RESOLVED), None)
    end = (resolved if resolved.tzinfo else resolved.replace(tzinfo=timezone.utc)) if resolved else datetime.now(timezone.utc)
    return declared - timedelta(minutes=before_minutes), end


def milestones(events: list[Event]) -> list[tuple[str, datetime | None]]:
    """(name, when) of the incident's milestones: impact (the change the first red signal followed, else that signal),
    detection (the first red signal: a red run or an alarm), declaration, mitigation (the first change applied and verified), resolution."""
    first_red = next((e.at for e in events if e.kind == "red" or (e.kind == "alarm" and "to ALARM" in e.what)), None)
    impact = max((e.at for e in events if e.kind == "changed" and first_red and e.at <= first_red), default=first_red)
    declared = next((e.at for e in events if e.kind == "declared"), None)
    records = ("declare-incident", "update-incident", "resolve-incident")  # the incident's own records are not a fix
    mitigated = next((e.at for e in events if e.kind == "applied" and not e.what.startswith(records) and "verified" in e.what and "NOT verified" not in e.what), None)
    resolved = next((e.at for e in events if e.kind == "resolved"), None)
    return [("impact began", impact), ("detected", first_red), ("declared", declared), ("mitigated", mitigated), ("resolved", resolved)]


# Records carry whole seconds, and several runs can start within one: a second's events go run by run,
# in the order the runs started; within a run, it starts, then a plan, its confirmation, the record it
# writes, the notices it sends, and the applied action.
_WITHIN_A_SECOND = {"changed": 0, "alarm": 0, "run": 0, "red": 1, "planned": 2, "confirmed": 3, "declared": 4, "update": 4, "resolved": 4, "notification": 5, "applied": 6, "failed": 6, "interrupted": 6}


def _incident_events(records: list[dict], incident_id: str):
    for r in records:
        if r.get("incident") != incident_id or not _at(r.get("at")):
            continue
        kind, at, who = r.get("kind"), _at(r["at"]), history.who(r)
        common = {"run_id": r.get("run_id", ""), "notebook": r.get("notebook", "")}
        if kind == incidents.DECLARED:
            yield Event(at, "declared", who, f"Incident declared: {r['severity']} {r['service']}, {r.get('impact', '')}; commander {r.get('commander', '')} ({r.get('why', '')})", **common)
        elif kind == incidents.UPDATE:
            actions = "; ".join(r.get("actions_taken") or [])
            yield Event(at, "update", who, f"Status update: {r.get('status', '')}" + (f"; root cause: {r['root_cause']}" if r.get("root_cause") else "")
                        + (f"; actions: {actions}" if actions else ""), **common)
        elif kind == incidents.RESOLVED:
            yield Event(at, "resolved", who, f"Resolved: {r.get('resolution', '')}", **common)
        elif kind == incidents.NOTIFICATION:
            sent = r.get("status") == "sent"
            yield Event(at, "notification", who, f"{r.get('about', '')} notice {'sent to' if sent else 'NOT sent to'} {r.get('channel', '')}"
                        + ("" if sent else f": {r.get('reason', '')}"), **common)


def _journal_events(journal: list[dict], runs: set[str]) -> list[Event]:
    out, seen_red = [], set()
    for r in journal:
        if r.get("run_id") not in runs or not _at(r.get("at")):
            continue
        at, who, kind = _at(r["at"]), history.who(r), r.get("kind")
        common = {"run_id": r["run_id"], "notebook": r.get("notebook", "")}
        check = r.get("check") if kind == "check" else None
        if isinstance(check, dict) and check.get("status") in RED:
            key = (check.get("id"), check.get("resource"))
            if key not in seen_red:  # when it first went red
                seen_red.add(key)
                out.append(Event(at, "red", who, f"{check.get('status')} {check.get('id')}: {check.get('sentence', '')}", **common))
        elif kind == "action-start":
            approved = f", approved by {r['approved_by']}" if r.get("approved_by") else ""
            locked = ", resources locked" if r.get("locked") else ""
            out.append(Event(at, "confirmed", who, f"{r.get('action')} {r.get('plan_id', '')} confirmed by {who} ({r.get('confirmed_by', '')}){approved}{locked}", **common))
        elif kind == "action" and r.get("status") == "planned":
            out.append(Event(at, "planned", who, f"{r.get('action')}: {len(r.get('changes') or [])} change(s) planned as {r.get('plan_id', '')} (dry run)", **common))
        elif kind == "action" and r.get("status") in ("stale", "locked", "unapproved"):
            out.append(Event(at, "failed", who, f"{r.get('action')} refused ({r['status']}): {r.get('message', '')}", **common))
        elif kind == "action" and r.get("status") == "interrupted":
            changes = "; ".join(f"{c.get('resource')} {c.get('attribute')}" for c in (r.get("changes") or [])[:3])
            out.append(Event(at, "interrupted", who, f"{r.get('action')} may have applied: {changes} (the run was killed while applying it)", **common))
        elif kind == "action" and r.get("status") in ("applied", "failed") and not r.get("dry_run"):
            changes = "; ".join(f"{c.get('resource')} {c.get('attribute')}" for c in (r.get("changes") or [])[:3])
            verified = {True: ", verified", False: f", NOT verified ({r.get('verify_note', '')})"}.get(r.get("verified"), "")
            out.append(Event(at, r["status"], who, f"{r.get('action')} {r['status']}: {changes}{verified}" + (f" ({r.get('message')})" if r["status"] == "failed" else ""), **common))
    return out
