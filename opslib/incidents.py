"""Incident records: declared, updated, notified, resolved; kept in runs/incidents.jsonl.

The file sits beside the ledger and is hash-chained like it, so every responder's runs on this
runs directory see the same incidents and `opslib verify` finds an edited one. An incident is
the fold of its records. Ids are `INC-YYYY-MMDD-NNN` (seed 001), numbered per day and allocated
under the chain's lock, so two responders declaring at once get two ids.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from .errors import BadInput, did_you_mean
from .units import duration

ID = re.compile(r"^INC-\d{4}-\d{4}-\d{3,}$")
DECLARED, UPDATE, RESOLVED, NOTIFICATION, POSTMORTEM = "incident-declared", "incident-update", "incident-resolved", "incident-notification", "incident-postmortem"


@dataclass
class Incident:
    id: str
    severity: str
    service: str
    impact: str
    summary: str
    commander: str
    started: datetime
    status: str
    update_minutes: int
    scale: str
    env: str = ""
    declared_by: str = ""
    updates: list = field(default_factory=list)  # incident-update records, oldest first
    notifications: list = field(default_factory=list)
    resolved: datetime | None = None
    root_cause: str = ""
    resolution: str = ""
    postmortem: dict | None = None

    @property
    def channel(self) -> str:
        """Seed 001's war-room channel: `#incident-2025-0914-001`."""
        return "#incident-" + self.id.removeprefix("INC-").lower()

    @property
    def is_open(self) -> bool:
        return self.resolved is None

    @property
    def last_update(self) -> datetime:
        return max([self.started] + [_time(u["at"]) for u in self.updates])

    def elapsed(self, now: datetime | None = None) -> timedelta:
        return (self.resolved or now or datetime.now(timezone.utc)) - self.started

    @property
    def unsent(self) -> list[dict]:
        return [n for n in self.notifications if n.get("status") != "sent"]

    def _repr_html_(self) -> str:
        from .templating import render

        rows = [("incident", self.id), ("severity", self.severity), ("service", self.service), ("status", self.status),
                ("started", f"{self.started:%Y-%m-%d %H:%M} UTC"), ("commander", self.commander), ("impact", self.impact),
                ("elapsed" if self.is_open else "duration", duration(self.elapsed().total_seconds())), ("war room", self.channel),
                ("updates", f"{len(self.updates)}; every {self.update_minutes} minutes due" if self.update_minutes else str(len(self.updates))),
                ("not sent", "; ".join(f"{n['channel']}: {n.get('reason', '')}" for n in self.unsent) or "-")]
        return render("facts.html.j2", rows=rows)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


def fold(records: list[dict]) -> dict[str, Incident]:
    """Every incident, from its records in chain order."""
    found: dict[str, Incident] = {}
    for rec in records:
        kind, iid = rec.get("kind"), rec.get("incident")
        if kind == DECLARED and isinstance(iid, str) and iid not in found:
            found[iid] = Incident(iid, rec["severity"], rec["service"], rec.get("impact", ""), rec.get("summary", ""), rec.get("commander", ""),
                                  _time(rec["at"]), rec.get("status", "Investigating"), int(rec.get("update_minutes") or 0), rec.get("scale", ""),
                                  rec.get("env", ""), rec.get("user", ""))
        inc = found.get(iid)
        if inc is None:
            continue
        if kind == UPDATE:
            inc.updates.append(rec)
            inc.status = rec.get("status") or inc.status
            inc.root_cause = rec.get("root_cause") or inc.root_cause
        elif kind == RESOLVED:
            inc.resolved, inc.status = _time(rec["at"]), "Resolved"
            inc.root_cause = rec.get("root_cause") or inc.root_cause
            inc.resolution = rec.get("resolution", "")
            inc.updates.append(rec)
        elif kind == NOTIFICATION:
            inc.notifications.append(rec)
        elif kind == POSTMORTEM:
            inc.postmortem = rec
    return found


def all_incidents(evidence) -> dict[str, Incident]:
    return fold(evidence.incidents.records())


def find(evidence, incident_id: str, open_only: bool = False) -> Incident:
    """The incident, or bad input that says which ones exist."""
    if not ID.fullmatch(incident_id or ""):
        raise BadInput(f"{incident_id!r} is not an incident id", "pass --incident INC-YYYY-MMDD-NNN (`opslib incidents` lists them)")
    known = all_incidents(evidence)
    inc = known.get(incident_id)
    if inc is None:
        hint = did_you_mean(incident_id, known)
        raise BadInput(f"no incident {incident_id} in {evidence.incidents.path}", (hint + " " if hint else "") + "`opslib incidents` lists them; declare one with `opslib run incident-declare`")
    if open_only and not inc.is_open:
        raise BadInput(f"incident {incident_id} was resolved at {inc.resolved:%Y-%m-%d %H:%M} UTC and cannot be updated",
                       f"declare a new one with `opslib run incident-declare`, or write it up with `opslib run postmortem --incident {incident_id}`")
    return inc


def declare(evidence, session: dict, level, service: str, impact: str, summary: str, commander: str, at: datetime | None = None,
            claim=None) -> Incident:
    """Open a record with the day's next id, allocated under the chain's lock; `claim(id, record)`,
    when given, must also take the id where other machines look (the incident table) or the next one is tried."""
    at = at or now()
    record = {"kind": DECLARED, "at": at.isoformat(), **session, "severity": level.name, "tier": level.tier,
              "scale": level.scale, "why": level.why, "update_minutes": level.update_minutes, "service": service, "impact": impact,
              "summary": summary, "commander": commander, "status": "Investigating"}
    def allocate(chain, rec):
        candidate = next_id(chain.records(), at)
        while claim is not None and not claim(candidate, dict(rec, incident=candidate)):
            candidate = f"{candidate[:-3]}{int(candidate[-3:]) + 1:03d}"
        return dict(rec, incident=candidate)

    entry = evidence.incidents.append(record, complete=allocate)
    _anchor(evidence, entry, session)
    return all_incidents(evidence)[entry["incident"]]


def next_id(records: list[dict], at: datetime) -> str:
    prefix = f"INC-{at:%Y-%m%d}-"
    taken = [int(r["incident"][len(prefix):]) for r in records
             if r.get("kind") == DECLARED and str(r.get("incident", "")).startswith(prefix) and r["incident"][len(prefix):].isdigit()]
    return f"{prefix}{max(taken, default=0) + 1:03d}"


def table_of(env_data: dict) -> str:
    """The DynamoDB table the environment file keeps a copy of every incident in (`incidents.table`), or ""."""
    return str((env_data.get("incidents") or {}).get("table") or "")


def state(inc: Incident) -> dict:
    """An incident as the table holds it: one item, rewritten after every change."""
    return {"severity": inc.severity, "service": inc.service, "status": inc.status, "impact": inc.impact, "summary": inc.summary,
            "commander": inc.commander, "started": inc.started.isoformat(), "resolved": inc.resolved.isoformat() if inc.resolved else "",
            "duration_s": round(inc.elapsed().total_seconds()) if inc.resolved else None, "updates": len(inc.updates),
            "root_cause": inc.root_cause, "resolution": inc.resolution, "not_sent": len(inc.unsent), "env": inc.env}


ANCHOR = "incident-anchor"  # the journal's record of an incident record: its seq and hash, covered by the witness


def append(evidence, kind: str, incident_id: str, session: dict, **fields) -> dict:
    """An incident record, and its anchor in the journal (whose heads the witness holds): an incident record
    rewritten, cut from the end or deleted no longer matches the anchors, and verify says so."""
    record = evidence.incidents.append({"kind": kind, "at": now().isoformat(), **session, "incident": incident_id, **fields})
    _anchor(evidence, record, session)
    return record


def _anchor(evidence, record: dict, session: dict) -> None:
    evidence.journal.append({"kind": ANCHOR, "at": record["at"], **session, "incident": record.get("incident"), "incident_kind": record.get("kind"),
                             "incident_seq": record["seq"], "incident_hash": record["hash"]})


def cadence_check(inc: Incident, at: datetime | None = None):
    """Seed 001: updates every 15 minutes for P1, 30 for P2. Late is a WARN row."""
    from .checks import OK, WARN, Check

    at = at or now()
    if not inc.update_minutes or not inc.is_open:
        return Check("incident_update_cadence", OK, inc.id, "-", "none", f"{inc.severity} has no update cadence." if inc.is_open else "Resolved.")
    since = (at - inc.last_update).total_seconds() / 60
    status = WARN if since > inc.update_minutes else OK
    last = "declared" if not inc.updates else "last updated"
    sentence = (f"{inc.id} was {last} {since:.0f} minutes ago; {inc.severity} wants an update every {inc.update_minutes} minutes"
                + (": this update is late." if status == WARN else "."))
    return Check("incident_update_cadence", status, inc.id, f"{since:.0f} min", f"<= {inc.update_minutes} min", sentence)


def check_declaration(notebook, values: dict) -> None:
    """A notebook that declares one: its service and severity override are known, before it starts."""
    if notebook.incident_need == "declares" and "service" in values:
        from .severity import classify

        classify(values["service"], False, False, 0, False, values.get("severity") or "")


def require(notebook, evidence, incident_id: str, headless: bool = True, elsewhere=None) -> str:
    """The incident a notebook works on, checked before it starts, when its first cell says it needs
    one (`**Incident:** required, open`). Headless it must be named; by hand in JupyterLab an empty
    `incident_id` means the latest (open) one, which the notebook then shows. `elsewhere(incident_id)`: the
    team's evidence (store.incident_copy) where one not declared here may be, for a notebook that only reads
    it (a post-mortem written on a reviewer's laptop); an update is recorded where the incident was declared."""
    needs = notebook.incident_need
    if needs not in ("open", "declared"):
        return incident_id
    open_only = needs == "open"
    if incident_id:
        if elsewhere is not None and not open_only and ID.fullmatch(incident_id) and incident_id not in all_incidents(evidence):
            evidence = elsewhere(incident_id)
        return find(evidence, incident_id, open_only=open_only).id
    if headless:
        raise BadInput(f"{notebook.name} works on a declared incident and none was given", "pass --incident INC-YYYY-MMDD-NNN (`opslib incidents` lists them)")
    candidates = [inc for inc in all_incidents(evidence).values() if inc.is_open or not open_only]
    if not candidates:
        raise BadInput(f"no {'open ' if open_only else ''}incident in {evidence.incidents.path}", "declare one with the incident-declare notebook, or set incident_id")
    return max(candidates, key=lambda inc: inc.started).id


def already_open(evidence, service: str):
    """Before declaring: is one already open for this service? Then it wants an update, not a twin."""
    from .checks import OK, WARN, Check

    found = sorted((inc for inc in all_incidents(evidence).values() if inc.is_open and inc.service == service), key=lambda inc: inc.started)
    if not found:
        return Check("incident_already_open", OK, service, 0, "none open", f"No incident is open for {service}.")
    ids = ", ".join(f"{inc.id} ({inc.severity}, {inc.status}, since {inc.started:%H:%M} UTC)" for inc in found)
    return Check("incident_already_open", WARN, service, len(found), "none open",
                 f"Already open for {service}: {ids}. Update it with `opslib run incident-update --incident {found[-1].id}` rather than declaring twice.")

