"""Every run, however it ran: runs filed by `opslib run` (the ledger) and sessions a responder
stepped through in JupyterLab or ran with `jupyter nbconvert --execute` (the journal only: no
filed notebook), as rows for `opslib history` and the run pages. The evidence index finds them.
"""

from datetime import datetime

from .checks import RUN_STATUS, Check, Report
from .units import duration


def who(record: dict) -> str:
    """Who filed a record; from the team's store (opslib.store), on which machine too, and whether it reached the store
    only later (offline then): shown, never reordered."""
    origin = record.get("origin") if isinstance(record.get("origin"), dict) else {}
    if not origin.get("host"):
        return record.get("user", "")
    late = f" (reached the store late, {str(origin.get('stored_at', ''))[:16].replace('T', ' ')} UTC)" if origin.get("late") else ""
    return f"{record.get('user', '')}@{origin['host']}{late}"


def session(run_id: str, recs: list[dict]) -> dict:
    """An interactive session from its journal records: when, who, what, and the last state of each check."""
    first, last = recs[0], recs[-1]
    latest: dict = {}
    for rec in recs:
        c = rec.get("check")
        if rec.get("kind") == "check" and isinstance(c, dict):
            latest[(c.get("id"), c.get("resource"))] = c
    report = Report(Check(**{k: c.get(k) for k in ("id", "status", "resource", "observed", "threshold", "sentence")})
                    for c in latest.values() if c.get("status") in RUN_STATUS)
    started = next((r for r in recs if r.get("kind") == "session-start"), first)
    out = {"kind": "run", "mode": "interactive", "run_id": run_id, "started": first.get("at", ""), "finished": last.get("at", ""),
           "notebook": first.get("notebook", ""), "env": first.get("env", ""), "incident": first.get("incident", ""),
           "user": first.get("user", ""), "host": first.get("host", ""), "checks": report.counts(),
           "status": RUN_STATUS[report.worst] if report else "no checks", "verdict": report.verdict() if report else "no checks recorded.",
           "parameters": started.get("parameters", {}), "parameter_sources": started.get("parameter_sources", {})}
    try:
        out["duration_s"] = (datetime.fromisoformat(out["finished"]) - datetime.fromisoformat(out["started"])).total_seconds()
    except (TypeError, ValueError):
        pass
    return out


def took(record: dict) -> str:
    """A run's duration as people write it, or "-"."""
    seconds = record.get("duration_s")
    return duration(seconds) if isinstance(seconds, (int, float)) else "-"
