"""Where in the chains to read: an index of the ledger and the journal for the questions asked often.

The chains stay the one source of truth. The index (`runs/.index.sqlite`, SQLite from the standard
library) holds, per record, its seq, byte offset and the few fields commands filter on (run,
notebook, env, status, incident, day). Every record a caller gets is read from its chain at that
offset and must be the record the index says (same seq, same run, matching the filter); when it is
not, or the index is missing, corrupt, foreign (another runs directory's) or behind a chain that was
cut or rewritten, it is rebuilt from the chains and the caller is told so in one line. `verify`
never reads it.

It is brought up to date by reading only what was appended since it last was (the record it ended
at is re-read to check it is still there), so a run's cost does not grow with the history before it.
"""

import hashlib
import os
import sqlite3
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from . import filing
from .ledger import _parse

NAME = ".index.sqlite"
VERSION = "1"
CHAINS = ("ledger", "journal")
RED_STATUSES = ("critical", "error", "failed", "interrupted", "killed")
MAX_RECORD = 64 << 20  # no record is longer: a forged length reads no more

_SCHEMA = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE runs(seq INTEGER PRIMARY KEY, run_id TEXT, started TEXT, day TEXT, notebook TEXT, env TEXT, status TEXT, incident TEXT,
                  off INTEGER, len INTEGER);
CREATE INDEX runs_run ON runs(run_id);
CREATE INDEX runs_started ON runs(started);
CREATE INDEX runs_day ON runs(day);
CREATE INDEX runs_incident ON runs(incident) WHERE incident != '';
CREATE TABLE journal(seq INTEGER PRIMARY KEY, run_id TEXT, kind TEXT, status TEXT, incident TEXT, off INTEGER, len INTEGER);
CREATE INDEX journal_run ON journal(run_id);
CREATE INDEX journal_actions ON journal(kind, status) WHERE kind = 'action';
CREATE INDEX journal_incident ON journal(incident) WHERE incident != '';
CREATE TABLE sessions(run_id TEXT PRIMARY KEY, started TEXT, day TEXT, notebook TEXT, env TEXT, incident TEXT, first_seq INTEGER);
CREATE INDEX sessions_started ON sessions(started);
CREATE INDEX sessions_day ON sessions(day);
CREATE TABLE days(day TEXT PRIMARY KEY, runs INTEGER, red INTEGER);
"""


class Disagrees(Exception):
    """The index and the chains do not say the same: rebuild."""


class Index:
    """Open with `Index.open(evidence)`; `notes` says what had to be rebuilt and why."""

    def __init__(self, evidence, db: sqlite3.Connection, notes: list[str]):
        self.evidence, self.db, self.notes = evidence, db, notes

    @classmethod
    def open(cls, evidence) -> "Index":
        root = Path(evidence.root)
        path = root / NAME
        notes: list[str] = []
        db = None
        has_records = any(_chain(root, name).is_file() and _chain(root, name).stat().st_size for name in CHAINS)
        try:
            if has_records and not path.exists() and _chain(root, "ledger").is_file():
                notes.append(f"{NAME} was missing: built from ledger.jsonl and journal.jsonl")
            db = _connect(path)
            _catch_up(db, root)
        except (sqlite3.DatabaseError, Disagrees, ValueError, OSError) as exc:
            if db is not None:
                db.close()
            if has_records:
                notes.append(f"{NAME} {_why(exc, path)}: rebuilt from ledger.jsonl and journal.jsonl")
            db = _rebuild(path, root, notes)
        return cls(evidence, db, notes)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def refresh(self) -> None:
        """Take in what was appended since (the runner, after filing)."""
        try:
            _catch_up(self.db, Path(self.evidence.root))
        except (sqlite3.DatabaseError, Disagrees, ValueError, OSError) as exc:
            self._rebuild(exc)

    def _rebuild(self, exc) -> None:
        self.db.close()
        path = Path(self.evidence.root) / NAME
        self.notes.append(f"{NAME} {_why(exc, path)}: rebuilt from ledger.jsonl and journal.jsonl")
        self.db = _rebuild(path, Path(self.evidence.root), self.notes)

    def _checked(self, fn, *args):
        """`fn` reads records through the index; when they disagree with the chain, rebuild once and read again."""
        try:
            return fn(*args)
        except Disagrees as exc:
            self._rebuild(exc)
            return fn(*args)

    # -- runs ------------------------------------------------------------------------------
    def runs(self, notebook: str = "", env: str = "", incident: str = "", status: str = "", since: str = "", until: str = "",
             day: str = "", run_ids=None, newest: int = 0) -> list[dict]:
        """Ledger run records (`mode: headless`) and interactive sessions, oldest first, filtered in SQL and
        each checked against what its chain holds. `newest` keeps only that many of the latest."""
        return self._checked(self._runs, notebook, env, incident, status, since, until, day, run_ids, newest)

    def _runs(self, notebook, env, incident, status, since, until, day, run_ids, newest) -> list[dict]:
        where, args = [], []
        if notebook:
            where.append("(notebook = ? OR substr(notebook, instr(notebook, '/') + 1) = ?)")
            args += [notebook, notebook]
        for col, value in (("env", env), ("incident", incident), ("day", day)):
            if value:
                where.append(f"{col} = ?")
                args.append(value)
        if since:
            where.append("started >= ?")
            args.append(since)
        if until:
            where.append("started < ?")
            args.append(until)
        if run_ids is not None:
            run_ids = sorted(set(run_ids))
            where.append(f"run_id IN ({','.join('?' * len(run_ids))})")
            args += run_ids
        clause = " WHERE " + " AND ".join(where or ["1"])
        limit = lambda order: f" ORDER BY started DESC, {order} DESC LIMIT {int(newest)}" if newest else ""
        rows = self.db.execute(f"SELECT seq, off, len FROM runs{clause}{' AND status = ?' if status else ''}{limit('seq')}",
                               args + ([status] if status else [])).fetchall()
        filed = [dict(rec, mode=rec.get("mode") or "headless") for rec in self._read("ledger", rows)]
        for rec in filed:
            if not _matches(rec, notebook, env, incident, status, since, until, day, run_ids):
                raise Disagrees(f"ledger seq {rec.get('seq')} is not what the index says it is")
        sessions = self._sessions(clause, args, limit("first_seq"))
        for found in sessions:
            if not _matches(found, notebook, env, incident, "", since, until, day, run_ids):
                raise Disagrees(f"session {found['run_id']} is not what the index says it is")
        if status:
            sessions = [s for s in sessions if s["status"] == status]
        found = sorted(filed + sessions, key=lambda r: (str(r.get("started", "")), r.get("seq", 0)))
        return found[-newest:] if newest else found

    def _sessions(self, clause: str, args: list, limit: str) -> list[dict]:
        from .history import session

        ids = [r[0] for r in self.db.execute(f"SELECT run_id FROM sessions{clause}{limit}", args)]
        out = []
        for run_id in ids:
            recs = self.journal_of(run_id, checked=False)
            if not recs:
                raise Disagrees(f"session {run_id} has no journal records")
            out.append(session(run_id, recs))
        return out

    # -- journal ---------------------------------------------------------------------------
    def journal_of(self, run_id: str, checked: bool = True) -> list[dict]:
        """Every journal record of one run, in chain order (`checked`: rebuild and read again should they disagree)."""
        fn = lambda: self._journal("run_id = ?", [run_id], lambda r: r.get("run_id") == run_id)
        return self._checked(fn) if checked else fn()

    def journal_of_runs(self, run_ids) -> list[dict]:
        ids = sorted(set(run_ids))
        if not ids:
            return []
        wanted = set(ids)
        return self._checked(self._journal, f"run_id IN ({','.join('?' * len(ids))})", ids, lambda r: r.get("run_id") in wanted)

    def actions(self, run_id: str = "", statuses=("applied", "planned")) -> list[dict]:
        """Action records (of one run, or all), in chain order."""
        marks = ",".join("?" * len(statuses))
        where, args = f"kind = 'action' AND status IN ({marks})", list(statuses)
        if run_id:
            where, args = where + " AND run_id = ?", args + [run_id]
        return self._checked(self._journal, where, args, lambda r: r.get("kind") == "action" and r.get("status") in statuses
                             and (not run_id or r.get("run_id") == run_id))

    def applied_counts(self, run_ids) -> dict[str, int]:
        ids = sorted(set(run_ids))
        out: dict[str, int] = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            q = f"SELECT run_id, count(*) FROM journal WHERE kind = 'action' AND status IN ('applied', 'interrupted') AND run_id IN ({','.join('?' * len(part))}) GROUP BY run_id"
            out.update(dict(self.db.execute(q, part).fetchall()))
        return out

    def latest_applied(self, accept) -> dict | None:
        """The newest applied action record `accept` takes, reading back from the end."""
        def find():
            for seq, off, length in self.db.execute("SELECT seq, off, len FROM journal WHERE kind = 'action' AND status IN ('applied', 'interrupted') ORDER BY seq DESC"):
                (rec,) = self._read("journal", [(seq, off, length)])
                if rec.get("kind") != "action" or rec.get("status") not in ("applied", "interrupted"):
                    raise Disagrees(f"journal seq {seq} is not an applied action")
                if accept(rec):
                    return rec
            return None

        return self._checked(find)

    def incident_runs(self, incident_id: str) -> set[str]:
        """Runs tagged with the incident, in the ledger, the journal (the runs that declared or updated it) or a session."""
        q = ("SELECT run_id FROM runs WHERE incident = ? UNION SELECT run_id FROM journal WHERE incident = ? "
             "UNION SELECT run_id FROM sessions WHERE incident = ?")
        return {r[0] for r in self.db.execute(q, [incident_id] * 3) if r[0]}

    def _journal(self, where: str, args: list, accept) -> list[dict]:
        rows = self.db.execute(f"SELECT seq, off, len FROM journal WHERE {where} ORDER BY seq", args).fetchall()
        recs = self._read("journal", rows)
        for rec in recs:
            if not accept(rec):
                raise Disagrees(f"journal seq {rec.get('seq')} is not what the index says it is")
        return recs

    def unreadable(self, chain: str = "ledger") -> int:
        """Lines of the chain that are not records (verify names them)."""
        return _unreadable(self.db, chain)

    # -- days ------------------------------------------------------------------------------
    def days(self) -> list[tuple[str, int, int]]:
        """(day, runs, red runs), newest first."""
        return [tuple(r) for r in self.db.execute("SELECT day, runs, red FROM days ORDER BY day DESC")]

    def _read(self, chain: str, rows) -> list[dict]:
        """The records at these (seq, offset, length), as the chain holds them."""
        out = []
        if not rows:
            return out
        try:
            with open(_chain(Path(self.evidence.root), chain), "rb") as fh:
                for seq, off, length in rows:
                    if not (isinstance(off, int) and isinstance(length, int) and off >= 0 and 0 < length <= MAX_RECORD):
                        raise Disagrees(f"its place for {chain} seq {seq} is no place in a chain")
                    fh.seek(off)
                    rec = _parse(fh.read(length))
                    if rec is None or rec.get("seq") != seq:
                        raise Disagrees(f"{chain}.jsonl holds no record seq {seq} where the index says")
                    out.append(rec)
        except OSError as exc:
            raise Disagrees(f"{chain}.jsonl could not be read where the index says ({exc.strerror})") from None
        return out


def _why(exc, path: Path) -> str:
    if isinstance(exc, OSError) or "readonly" in str(exc):
        return f"could not be written ({exc}), so this command keeps one in memory"
    if isinstance(exc, sqlite3.DatabaseError):
        return f"was unreadable ({exc})"
    return f"disagreed with the chains ({exc})"


def _chain(root: Path, name: str) -> Path:
    return root / f"{name}.jsonl"


def _connect(path: Path) -> sqlite3.Connection:
    if not path.exists():
        filing.make_dirs(path.parent)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, filing.file_mode()))
    db = sqlite3.connect(path, timeout=60, isolation_level=None)
    db.execute("PRAGMA busy_timeout = 60000")
    db.execute("PRAGMA trusted_schema = OFF")  # the file is in the runs directory: an attacker's views and triggers run nothing
    if not db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone():
        with _write(db):
            if not db.execute("SELECT name FROM sqlite_master WHERE name = 'meta'").fetchone():
                _create(db)
    version = db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    if not version or version[0] != VERSION:
        db.close()
        raise Disagrees(f"it is of another version ({version[0] if version else 'none'})")
    if _schema(db) != _expected_schema():
        db.close()
        raise Disagrees("its tables are not the index's own")
    return db


def _schema(db) -> set:
    return set(db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'").fetchall())


@lru_cache(maxsize=1)
def _expected_schema() -> frozenset:
    mem = sqlite3.connect(":memory:", isolation_level=None)
    _create(mem)
    found = frozenset(_schema(mem))
    mem.close()
    return found


def _create(db) -> None:
    """The tables, statement by statement (executescript would commit the caller's transaction)."""
    for statement in filter(str.strip, _SCHEMA.split(";")):
        db.execute(statement)
    db.execute("INSERT INTO meta VALUES ('version', ?)", [VERSION])


@contextmanager
def _write(db: sqlite3.Connection):
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _rebuild(path: Path, root: Path, notes: list | None = None) -> sqlite3.Connection:
    """A fresh index from the chains; in memory for this command when the runs directory cannot take one (read-only)."""
    try:
        for suffix in ("", "-journal", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        db = _connect(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        if notes is not None:
            said = f"{NAME} {_why(OSError(str(exc)), path)}"
            if notes and notes[-1].startswith(NAME):  # one line says it all
                notes[-1] = said
            else:
                notes.append(said)
        db = sqlite3.connect(":memory:", isolation_level=None)
        _create(db)
    _catch_up(db, root)
    return db


def _meta(db, name: str) -> tuple[int, tuple, str]:
    """(offset read to, (offset, length, seq, hash) of the last record indexed, the hash of the chain's first)."""
    vals = dict(db.execute("SELECT key, value FROM meta WHERE key LIKE ?", [f"{name}_%"]).fetchall())
    last = (int(vals.get(f"{name}_at", 0)), int(vals.get(f"{name}_len", 0)), int(vals.get(f"{name}_seq", 0)), vals.get(f"{name}_hash", ""))
    return int(vals.get(f"{name}_off", 0)), last, vals.get(f"{name}_first", "")


def _catch_up(db: sqlite3.Connection, root: Path) -> None:
    """Index what each chain gained since; Disagrees when what was indexed is no longer there."""
    grown = False
    for name in CHAINS:
        path = _chain(root, name)
        off, last, first = _meta(db, name)
        size = path.stat().st_size if path.is_file() else 0
        if off:
            with open(path, "rb") as fh:
                _check_tail(fh, path.name, size, off, last, first)
        grown |= size > off
    if grown:
        with _write(db):  # another process may have taken it in meanwhile: _meta again, under the lock
            for name in CHAINS:
                _catch_up_chain(db, _chain(root, name), name)


def _check_tail(fh, name: str, size: int, off: int, last: tuple, first: str) -> None:
    """The chain still starts with the record it started with and holds the last indexed one where it was."""
    fh.seek(0)
    if _digest(fh.readline()) != first:
        raise Disagrees(f"it indexes another {name} (its first line differs)")
    if size < off:
        raise Disagrees(f"{name} is shorter than when it was indexed")
    at, length, seq, digest = last
    if at < 0 or not 0 < length <= MAX_RECORD:
        raise Disagrees(f"its last place in {name} is no place in it")
    fh.seek(at)
    rec = _parse(fh.read(length))
    if rec is None or rec.get("seq") != seq or rec.get("hash") != digest:
        raise Disagrees(f"{name} no longer holds seq {seq} as it was indexed")


def _catch_up_chain(db, path: Path, name: str) -> None:
    off, last, first = _meta(db, name)
    size = path.stat().st_size if path.is_file() else 0
    if size <= off:
        return
    with open(path, "rb") as fh:
        if off:
            _check_tail(fh, path.name, size, off, last, first)
        fh.seek(off)
        pos = off
        rows, sessions, days = [], {}, {}
        unreadable = 0
        for line in fh:
            if not line.endswith(b"\n"):
                break  # being written, or torn: the next append sets it aside
            if pos == 0:
                first = _digest(line)
            rec = _parse(line)
            unreadable += rec is None and bool(line.strip())
            if rec is not None:
                rows.append(_row(name, rec, pos, len(line), sessions, days))
                last = (pos, len(line), rec["seq"], rec.get("hash", ""))
                if len(rows) >= 5000:  # a rebuild holds a batch at a time, not the chain
                    _insert(db, name, rows)
            pos += len(line)
    _insert(db, name, rows)
    if name == "journal":
        for s in sessions.values():  # a session seen for the first time counts on its day
            if not db.execute("SELECT 1 FROM sessions WHERE run_id = ?", [s[0]]).fetchone():
                db.execute("INSERT INTO sessions VALUES (?,?,?,?,?,?,?)", s)
                n, red = days.get(s[2], (0, 0))
                days[s[2]] = (n + 1, red)
    db.executemany("INSERT INTO days VALUES (?,?,?) ON CONFLICT(day) DO UPDATE SET runs = runs + excluded.runs, red = red + excluded.red",
                   [(d, n, red) for d, (n, red) in days.items()])
    if pos > off:  # an unreadable line skipped above still moves the offset: verify names it, the index needs nothing of it
        values = {f"{name}_off": pos, f"{name}_first": first, f"{name}_unreadable": _unreadable(db, name) + unreadable, **dict(zip((f"{name}_at", f"{name}_len", f"{name}_seq", f"{name}_hash"), last))}
        db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", [(k, str(v)) for k, v in values.items()])


def _insert(db, name: str, rows: list) -> None:
    if name == "ledger":
        db.executemany("INSERT OR REPLACE INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", [r for r in rows if r])
    else:
        db.executemany("INSERT OR REPLACE INTO journal VALUES (?,?,?,?,?,?,?)", rows)
    rows.clear()


def _digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def _unreadable(db, name: str) -> int:
    found = db.execute("SELECT value FROM meta WHERE key = ?", [f"{name}_unreadable"]).fetchone()
    return int(found[0]) if found else 0


def _row(name: str, rec: dict, off: int, length: int, sessions: dict, days: dict):
    run_id = str(rec.get("run_id") or "")
    if name == "ledger":
        if rec.get("kind", "run") != "run":
            return None
        started = str(rec.get("started", ""))
        status = str(rec.get("status", ""))
        day = started[:10]
        n, red = days.get(day, (0, 0))
        days[day] = (n + 1, red + (status in RED_STATUSES))
        return (rec["seq"], run_id, started, day, str(rec.get("notebook", "")), str(rec.get("env", "")), status,
                str(rec.get("incident") or ""), off, length)
    check = rec.get("check") if isinstance(rec.get("check"), dict) else {}
    status = str(rec.get("status") or check.get("status") or "")
    if run_id.startswith("interactive-") and run_id not in sessions:
        at = str(rec.get("at", ""))
        sessions[run_id] = (run_id, at, at[:10], str(rec.get("notebook", "")), str(rec.get("env", "")), str(rec.get("incident") or ""), rec["seq"])
    return (rec["seq"], run_id, str(rec.get("kind", "")), status, str(rec.get("incident") or ""), off, length)


def _matches(rec: dict, notebook, env, incident, status, since, until, day, run_ids) -> bool:
    nb = str(rec.get("notebook", ""))
    started = str(rec.get("started", ""))
    return ((not notebook or notebook in (nb, nb.split("/")[-1])) and (not env or rec.get("env") == env)
            and (not incident or (rec.get("incident") or "") == incident) and (not status or rec.get("status") == status)
            and (not since or started >= since) and (not until or started < until) and (not day or started[:10] == day)
            and (run_ids is None or rec.get("run_id") in run_ids))
