"""`opslib report --incident ID` (or `--since/--until`): one folder, and its zip, a reviewer takes away.

index.html holds the incident, its timeline, each run's page in order, the post-mortem, and
what verify found: every copied file against the SHA-256 the ledger (or the incident record)
holds for it, and the chains themselves. Everything is a relative link; the folder opens
straight from disk, offline. MANIFEST.sha256 lets anyone check the copy with `sha256sum -c`.
"""

import json
from datetime import datetime
from pathlib import Path

from . import filing, incidents, timeline
from .errors import BadInput
from .ledger import sha256_file
from .secrets import scrub


def make(evidence, out: Path, incident_id: str = "", since: str = "", until: str = "") -> tuple[Path, Path, list[str]]:
    """(folder, zip, problems found)."""
    from . import inflight, verification
    from .evidence_index import Index

    inc = incidents.find(evidence, incident_id) if incident_id else None
    with Index.open(evidence) as index:  # only the runs reported are read
        if inc is not None:
            events, runs = timeline.build(evidence, incident_id, index)
        else:
            runs, events = index.runs(since=since, until=until), []
    filing.make_dirs(out.parent)
    try:
        out.mkdir(mode=filing.dir_mode())
    except FileExistsError:  # place() let it through empty; nothing else may be in it
        if any(out.iterdir()):
            raise BadInput(f"--out {out} is not empty", "pass a new folder: a report never writes over what is there") from None
    (out / "runs").mkdir(mode=filing.dir_mode())
    found = verification.verify(evidence, {}, False, inflight.running(evidence.root), since_last=True)  # the chains, from the last clean verify
    checked, problems = [], list(found.problems)
    rows = []
    for n, run in enumerate(runs, 1):
        copied = _copy_run(evidence, run, out, n, checked, problems)
        rows.append((run, copied))
    postmortem = _copy_postmortem(evidence, inc, out, checked, problems) if inc else None
    listed = [{"file": copied, "run_id": run.get("run_id"), "ledger_seq": run.get("seq"), "sha256": sha256_file(out / copied)} for run, copied in rows if copied]
    if postmortem is not None and inc.postmortem:
        listed.append({"file": "postmortem.md", "incident": inc.id, "incident_seq": inc.postmortem.get("seq"), "sha256": sha256_file(out / "postmortem.md")})
    filing.write_text(out / LISTING, json.dumps({"runs_dir": str(Path(evidence.root).resolve()), "incident": incident_id, "files": listed}, indent=1))
    filing.write_text(out / "index.html", scrub(_page(inc, since, until, rows, events, postmortem, checked, problems))[0])
    manifest = "".join(f"{sha256_file(p)}  {p.relative_to(out).as_posix()}\n" for p in sorted(out.rglob("*")) if p.is_file())
    filing.write_text(out / "MANIFEST.sha256", manifest)
    return out, _zip(out), problems


LISTING = "report.json"  # each copied file, the record it stands for (run and ledger seq, or incident record), its SHA-256
SUMMARIES = {"index.html", "MANIFEST.sha256", LISTING}  # made from the listed files: not evidence themselves


def check(folder: Path, evidence) -> list[str]:
    """A report on its own (`opslib verify --report DIR`): every file it holds is one its listing names, and each
    matches the SHA-256 the runs directory's record (ledger, or incident record) holds for it, read from the chain
    itself; a file edited and its MANIFEST and listing regenerated still differs from the record."""
    from .verification import Walk

    try:
        listing = json.loads((folder / LISTING).read_text())
        files = list(listing["files"])
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return [f"{folder} has no readable {LISTING}: not a report opslib made, or not whole"]
    problems: list[str] = []
    ledger = {rec["seq"]: rec for rec in Walk(Path(evidence.root) / "ledger.jsonl", evidence.keys, problems)}
    records = {rec["seq"]: rec for rec in Walk(Path(evidence.root) / "incidents.jsonl", evidence.keys, problems)}
    named = set()
    for entry in files:
        rel = str(entry.get("file", ""))
        path = (folder / rel).resolve()
        if not path.is_relative_to(folder.resolve()) or not path.is_file():
            problems.append(f"{rel} is listed but not in the report")
            continue
        named.add(path.relative_to(folder.resolve()).as_posix())
        if "run_id" in entry:
            rec = ledger.get(entry.get("ledger_seq"))
            want = rec.get("html_sha256") if rec and rec.get("run_id") == entry["run_id"] else None
            what = f"run {entry['run_id']} (ledger seq {entry.get('ledger_seq')})"
        else:
            rec = records.get(entry.get("incident_seq"))
            want = rec.get("sha256") if rec and rec.get("incident") == entry.get("incident") else None
            what = f"the post-mortem of {entry.get('incident')} (incident record seq {entry.get('incident_seq')})"
        if want is None:
            problems.append(f"{rel}: {what} is not in {evidence.root}")
        elif sha256_file(path) != want:
            problems.append(f"{rel} differs from {what}: changed after it was filed")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel not in named and rel not in SUMMARIES:
            problems.append(f"{rel} is in the report but not in its listing: added, not evidence")
    return problems


def place(out: Path | None, default: Path) -> Path:
    """Where a report goes: `out` must be new or an empty folder (its zip beside it new too); without
    `out`, the first of default, default-2, default-3, ... not taken. A report never deletes or
    overwrites anything: not the runs directory, not a folder's other files, not an earlier report."""
    if out is None:
        n = 1
        while (candidate := default.with_name(default.name + (f"-{n}" if n > 1 else ""))).exists() or _zip_of(candidate).exists():
            n += 1
        return candidate
    if out.is_file() or out.is_symlink():
        raise BadInput(f"--out {out} is a file", "pass a new folder for the report")
    above = next(p for p in out.parents if p.exists() or p == Path(p.anchor))
    if not above.is_dir():
        raise BadInput(f"--out {out}: {above} is a file", "pass a new folder for the report")
    if out.is_dir() and any(out.iterdir()):
        raise BadInput(f"--out {out} is not empty", "pass a new folder: a report never writes over what is there")
    if _zip_of(out).exists():
        raise BadInput(f"--out {out}: {_zip_of(out).name} already exists beside it", "pass a new folder: a report never writes over what is there")
    return out


def _zip_of(out: Path) -> Path:
    return out.with_name(out.name + ".zip")


def _zip(out: Path) -> Path:
    import zipfile

    archive = _zip_of(out)
    with filing.open_new(archive) as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            zf.write(path, Path(out.name) / path.relative_to(out))
    return archive


def _copy_run(evidence, run: dict, out: Path, n: int, checked: list, problems: list) -> str:
    rel = run.get("html")
    if not rel:
        return ""  # an interactive session: its journal records are in the timeline
    source = evidence.inside(rel)
    if source is None or not source.is_file():
        problems.append(f"run {run.get('run_id')}: {rel} is missing")
        return ""
    target = out / "runs" / f"{n:02d}-{Path(rel).name}"
    filing.copy_new(source, target)
    _check(target, run.get("html_sha256"), f"run {run.get('run_id')} ({run.get('notebook')})", checked, problems)
    return target.relative_to(out).as_posix()


def _copy_postmortem(evidence, inc, out: Path, checked: list, problems: list) -> str:
    if not inc.postmortem:
        return ""
    source = evidence.inside(inc.postmortem.get("path"))
    if source is None or not source.is_file():
        problems.append(f"{inc.id}: its post-mortem {inc.postmortem.get('path')} is missing")
        return ""
    target = out / "postmortem.md"
    filing.copy_new(source, target)
    _check(target, inc.postmortem.get("sha256"), f"post-mortem of {inc.id}", checked, problems)
    return target.read_text(encoding="utf-8")


def _check(path: Path, want: str | None, what: str, checked: list, problems: list) -> None:
    ok = bool(want) and sha256_file(path) == want
    checked.append((what, path.name, "verified" if ok else "DIFFERS from its record"))
    if not ok:
        problems.append(f"{what}: {path.name} differs from the SHA-256 its record holds")


def _page(inc, since, until, rows, events, postmortem, checked, problems) -> str:
    """The report's front page, from a template with autoescape on (what people typed is text, never markup)."""
    from .templating import render

    title = f"Incident {inc.id}" if inc else f"Runs {since or 'from the start'} to {until or 'now'}"
    facts = [("severity", inc.severity), ("service", inc.service), ("status", inc.status), ("started", f"{inc.started:%Y-%m-%d %H:%M} UTC"),
             ("resolved", f"{inc.resolved:%Y-%m-%d %H:%M} UTC" if inc.resolved else "open"), ("commander", inc.commander), ("impact", inc.impact),
             ("root cause", inc.root_cause or "-"), ("resolution", inc.resolution or "-")] if inc else []
    verdict = "verified: every file matches its record and the chains are intact" if not problems else f"NOT verified: {len(problems)} problem(s)"
    return render("report.html.j2", title=title, made=f"{datetime.now().astimezone():%Y-%m-%d %H:%M %Z}", facts=facts, verdict=verdict,
                  problems=problems, checked=checked, events=events, pages={r.get("run_id"): link for r, link in rows}, rows=rows, postmortem=postmortem)
