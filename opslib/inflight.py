"""Runs in flight: a locked note per run, so a run killed outright is still filed.

`begin` writes `.inflight/<run>.json` (who, what, when) and holds an exclusive lock on it for the
run's life; papermill saves the (scrubbed) notebook beside it after every cell. The kernel
releases the lock when the process dies, however it dies. `recover`, called by every command
that reads the runs directory, files each note whose lock is free as a `killed` run.
"""

import fcntl
import json
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from . import filing


@dataclass
class Flight:
    note: Path
    notebook: Path
    _fh: object

    def done(self) -> None:
        self.notebook.unlink(missing_ok=True)
        self.note.unlink(missing_ok=True)
        self._fh.close()  # releases the lock


def begin(runs_dir: Path, meta: dict) -> Flight:
    folder = Path(runs_dir) / ".inflight"
    filing.make_dirs(folder)
    note = folder / f"{meta['run_id']}.json"
    tmp = folder / f".{meta['run_id']}.json.tmp"
    fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_TRUNC, filing.file_mode())
    fh = os.fdopen(fd, "r+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX)  # held before the note has its name: recover never sees it unlocked
        fh.write(json.dumps({**meta, "pid": os.getpid()}))
        fh.flush()
        os.replace(tmp, note)
    except BaseException:  # a full disk: no note, no half of one
        try:
            fh.close()  # flushes what could not be written: fails again
        except OSError:
            pass
        tmp.unlink(missing_ok=True)
        raise
    return Flight(note, folder / f"{meta['run_id']}.ipynb", fh)


def running(runs_dir: Path) -> set[str]:
    """Run ids whose runner is alive (their note is locked)."""
    out = set()
    for note in _notes(runs_dir):
        try:
            fh = open(note)
        except FileNotFoundError:  # filed and gone since the listing
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                out.add(note.stem)
    return out


def _gone(fh) -> bool:
    """The note was unlinked while we waited for it: its run was filed (by its runner, or another command's recover)."""
    return os.fstat(fh.fileno()).st_nlink == 0


def _notes(runs_dir: Path) -> list[Path]:
    folder = Path(runs_dir) / ".inflight"
    return sorted(folder.glob("[0-9a-f]*.json")) if folder.is_dir() else []


def recover(runs_dir: Path, by: str) -> list[str]:
    """File every run whose runner died without filing it; one line per run for the console."""
    from .environment import evidence_settings, load
    from .errors import OpsError
    from .ledger import Evidence
    from .runner import _load_output, file_run
    from .witness import for_environment

    lines = []
    for note in _notes(runs_dir):
        try:
            fh = open(note, "r+")
        except FileNotFoundError:  # its runner filed it since the listing (twenty cron runs at once do)
            continue
        with fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its runner is alive
            if _gone(fh):  # opened just before its runner (or another recover) filed and unlinked it: never filed twice
                continue
            try:
                meta = json.loads(fh.read())
                env_data = load(meta["env"])
                settings = evidence_settings(env_data, meta["env"])
            except (ValueError, KeyError, OpsError) as exc:
                lines.append(f"run {note.stem} was killed and cannot be filed yet: {exc}")
                continue
            notebook = note.with_suffix(".ipynb")
            nb = _load_output(notebook, Path(meta.get("source", "")))
            evidence = Evidence(Path(runs_dir), settings.hmac_key)
            _close_interrupted(evidence, meta["run_id"])
            when = datetime.now(timezone.utc).isoformat(timespec="seconds")
            duration = (datetime.now(timezone.utc) - datetime.fromisoformat(meta["started"])).total_seconds()
            reason = f"its runner (pid {meta.get('pid')}) died without filing it (kill -9, out of memory or power loss); filed at {when} by `opslib {by}`"
            out = file_run(evidence, meta, nb, "killed", reason, "critical", duration,
                           for_environment(meta["env"], env_data, Path(runs_dir)), filed_by=by)
            notebook.unlink(missing_ok=True)
            for partial in note.parent.glob(f".{note.stem}.*.tmp"):
                partial.unlink(missing_ok=True)  # a save the kill cut short
            note.unlink()
            lines.append(f"run {meta['run_id']} ({meta['notebook']}, {meta['env']}, started {meta['started']}) was killed; filed as {out.output.relative_to(runs_dir)}")
    return lines


def _close_interrupted(evidence, run_id: str) -> None:
    """Journal, for each action the killed run confirmed and never closed, that it may have applied."""
    from .actions import interrupted
    from .evidence_index import Index

    with Index.open(evidence) as index:
        started = index.journal_of_runs({run_id})
    for record in interrupted(started):
        evidence.journal.append(record)
