"""`opslib report --incident ID` (or `--since/--until`): one folder, and its zip, a reviewer takes away.

index.html holds the incident, its timeline, each run's page in order, the post-mortem, and
what verify found: every copied file against the SHA-256 the ledger (or the incident record)
holds for it, and the chains themselves. Everything is a relative link; the folder opens
straight from disk, offline. MANIFEST.sha256 lets anyone check the copy with `sha256sum -c`.
"""

import html
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
    filing.write_text(out / "index.html", scrub(_page(inc, since, until, rows, events, postmortem, checked, problems))[0])
    manifest = "".join(f"{sha256_file(p)}  {p.relative_to(out).as_posix()}\n" for p in sorted(out.rglob("*")) if p.is_file())
    filing.write_text(out / "MANIFEST.sha256", manifest)
    return out, _zip(out), problems


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


def _link(rel: str) -> str:
    return f'<a href="{html.escape(rel, quote=True)}">{html.escape(rel)}</a>' if rel else "interactive session (journal only)"


def _page(inc, since, until, rows, events, postmortem, checked, problems) -> str:
    e = html.escape
    title = f"Incident {inc.id}" if inc else f"Runs {since or 'from the start'} to {until or 'now'}"
    head = ""
    if inc:
        facts = [("severity", inc.severity), ("service", inc.service), ("status", inc.status), ("started", f"{inc.started:%Y-%m-%d %H:%M} UTC"),
                 ("resolved", f"{inc.resolved:%Y-%m-%d %H:%M} UTC" if inc.resolved else "open"), ("commander", inc.commander), ("impact", inc.impact),
                 ("root cause", inc.root_cause or "-"), ("resolution", inc.resolution or "-")]
        head = "<table>" + "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in facts) + "</table>"
    pages = {r.get("run_id"): link for r, link in rows}
    tl = "".join(f"<tr><td>{ev.at:%Y-%m-%d %H:%M:%S}</td><td>{e(ev.kind)}</td><td>{e(ev.what)}</td><td>{e(ev.who)}</td>"
                 f"<td>{_link(pages.get(ev.run_id, '')) if ev.kind == 'run' else ''}</td></tr>" for ev in events)
    run_rows = "".join(
        f"<tr><td>{e(str(r.get('started', '')))}</td><td>{e(str(r.get('notebook', '')))}</td><td>{e(str(r.get('status', '')))}</td><td>{e(str(r.get('user', '')))}</td>"
        f"<td>{_link(link)}</td></tr>"
        for r, link in rows)
    verdict = "verified: every file matches its record and the chains are intact" if not problems else f"NOT verified: {len(problems)} problem(s)"
    checks = "".join(f"<tr><td>{e(w)}</td><td>{e(f)}</td><td>{e(s)}</td></tr>" for w, f, s in checked)
    probs = "".join(f"<li>{e(p)}</li>" for p in problems)
    pm = f"<h2>Post-mortem</h2><pre>{e(postmortem)}</pre>" if postmortem else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body {{ font-family: system-ui, sans-serif; margin: 2em; }} table {{ border-collapse: collapse; }}
td, th {{ text-align: left; padding: .25em .7em; border-bottom: 1px solid #eaeef2; vertical-align: top; }} pre {{ white-space: pre-wrap; }}</style></head>
<body><h1>{e(title)}</h1><p>Made {datetime.now().astimezone():%Y-%m-%d %H:%M %Z} by `opslib report`.</p>{head}
<h2>Verify</h2><p><b>{e(verdict)}</b></p><ul>{probs}</ul><table><tr><th>what</th><th>file</th><th>result</th></tr>{checks}</table>
<h2>Timeline</h2><table><tr><th>time (UTC)</th><th>what</th><th>detail</th><th>who</th><th>page</th></tr>{tl}</table>
<h2>Runs, in order</h2><table><tr><th>started</th><th>notebook</th><th>status</th><th>who</th><th>page</th></tr>{run_rows}</table>
{pm}
</body></html>
"""
