"""Pages a reviewer reads: `runs/index.html` (the newest runs, and a page per day) kept current after each run.

A run rewrites only its own day's page (`runs/days/YYYY-MM-DD.html`) and the front page, both from
the evidence index (opslib.evidence_index), so its cost does not grow with the history. Pages stand
alone (no server, nothing fetched): filters by notebook, environment, status and incident run in the page.
"""

import fcntl
import json
import re
from pathlib import Path

from . import filing, history
from .checks import COLOURS
from .secrets import scrub
from .units import plural

STATUS_COLOURS = {"passed": COLOURS["OK"], "warn": COLOURS["WARN"], "critical": COLOURS["CRITICAL"], "error": COLOURS["ERROR"],
                  "failed": "#57606a", "interrupted": "#57606a", "killed": "#57606a"}
_FILTERS = ("notebook", "env", "status", "incident")
_FILED = re.compile(r"\d{4}/\d\d/\d\d/[\w.-]+\.html")  # a forged record's link goes nowhere (no javascript:, no ../)
_DAY = re.compile(r"\d{4}-\d\d-\d\d")
FRONT_PAGE_RUNS = 200  # the newest, on runs/index.html; every run is on its day's page


def write_index(evidence, run_id: str = "", index=None) -> Path:
    """The front page and the page of the day `run_id` started on (default: the newest day). Pass an open `index` to reuse it."""
    from .evidence_index import Index

    own = index is None
    index = index or Index.open(evidence)
    lock = filing.open_append(evidence.root / ".pages.lock")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # runs filing at once: each page is written from the index as the last of them left it
        index.refresh()
        days = [d for d in index.days() if _DAY.fullmatch(d[0])]  # a forged record's "day" names no path
        run = index.runs(run_ids=[run_id]) if run_id else []
        day = str(run[0].get("started", ""))[:10] if run else (days[0][0] if days else "")
        if _DAY.fullmatch(day):
            filing.write_text(evidence.root / "days" / f"{day}.html",
                              scrub(index_page(index.runs(day=day)[::-1], f"Runs on {day}", "../", days=[]))[0])
        newest = index.runs(newest=FRONT_PAGE_RUNS)[::-1]
        path = evidence.root / "index.html"
        filing.write_text(path, scrub(index_page(newest, "Runs", "", days=days))[0])
        return path
    finally:
        lock.close()
        if own:
            index.close()


def index_page(runs: list[dict], title: str = "Runs", up: str = "", days: list | None = None) -> str:
    """`up`: the way from the page's folder to the runs directory, for its links."""
    total = sum(n for _, n, _ in days or [])
    shown = (f"The newest {plural(len(runs), 'run')} of {total}; every run is on its day's page below." if days and total > len(runs)
             else f"{plural(len(runs), 'run')}, newest first.")
    options = [(key, sorted({str(r.get(key) or "") for r in runs} - {""})) for key in _FILTERS]
    from .templating import render

    return render("runs.html.j2", title=title, shown=shown, options=options, runs=[_row(r, up) for r in runs], days=days or [])


def _row(r: dict, up: str = "") -> dict:
    status = str(r.get("status", ""))
    counts = r.get("checks") if isinstance(r.get("checks"), dict) else {}
    cells = [str(r.get("started", "")).replace("+00:00", "").replace("T", " "), r.get("notebook", ""), r.get("env", ""),
             r.get("incident") or "", history.who(r), history.took(r), "/".join(str(counts.get(k, 0)) for k in ("OK", "WARN", "CRITICAL", "ERROR"))]
    return {"data": [(key, str(r.get(key) or "")) for key in _FILTERS], "status": status, "colour": STATUS_COLOURS.get(status, "#57606a"),
            "cells": [str(c) for c in cells], "run_id": json.dumps(r.get("run_id"))[1:-1], "href": up + r["html"] if _FILED.fullmatch(str(r.get("html") or "")) else ""}
