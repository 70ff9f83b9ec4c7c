"""`opslib verify`: both chains streamed once, in memory that does not grow with their records.

A full verify reads every record and every filed file. `--since-last` starts from the checkpoint
the last clean verify of this runs directory left (kept in the opslib state folder, out of the runs
directory's reach): the chains must still hold the checkpoint's records where they were, and the
witness must hold the heads since; then only what came after is read. A full verify still checks
everything, and never reads the evidence index.

What is kept while streaming: per run, its seq, status and check counts (a few numbers), the heads
the witnesses hold (seq -> hash), and the runs in flight across a checkpoint.
"""

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import filing, witness
from .incidents import ANCHOR, POSTMORTEM
from .ledger import GENESIS, MAC, _digest, _parse, sha256_file

STATUSES = ("OK", "WARN", "CRITICAL", "ERROR")
_NAMED = re.compile(r"^(\d{4})/(\d\d)/(\d\d)/.*__T(\d\d)(\d\d)(\d\d)Z__")
SHOWN_MISSING = 10


@dataclass
class Mark:
    """Where a verified chain ended: read to `off`; its last record at `at` (`length` bytes), line `line`."""

    off: int = 0
    line: int = 0
    seq: int = 0
    hash: str = ""
    at: int = 0
    length: int = 0


@dataclass
class Result:
    problems: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    consulted: list = field(default_factory=list)
    runs: int = 0
    journal: int = 0
    since: str = ""  # "" for a full verify


class Walk:
    """One chain streamed from `start` (a Mark; the beginning by default): every problem found in
    `problems`, and where it ended in `end`."""

    def __init__(self, path: Path, keys: dict, problems: list, start: Mark | None = None):
        self.path, self.keys, self.problems = Path(path), keys, problems
        self.start = start or Mark()
        self.end = Mark(**vars(self.start))
        self.unkeyed: set = set()
        self.missing: list[int] = []
        self.missing_count = 0
        self.repairs: list[str] = []

    def __iter__(self):
        name = self.path.name
        if not self.path.is_file():
            return
        end, prev_seq, prev_hash = self.end, self.start.seq or None, self.start.hash
        last_seq = self.start.seq
        with open(self.path, "rb") as fh:
            fh.seek(self.start.off)
            pos, lineno = self.start.off, self.start.line
            for raw in fh:
                lineno += 1
                here, pos = pos, pos + len(raw)
                if not raw.strip():
                    continue
                rec = _parse(raw)
                if rec is None:
                    self.problems.append(f"{name} line {lineno}: not a readable record (edited or torn)")
                    continue
                seq = rec["seq"]
                where = f"{name} line {lineno} (seq {seq}, run {rec.get('run_id', '-')})"
                if rec.get("mac") == MAC and self.keys.get(rec.get("env")) is None:
                    self.unkeyed.add(rec.get("env"))
                    edited = False
                else:
                    edited = rec.get("hash") != _digest(rec, self.keys.get(rec.get("env")))
                if edited:
                    self.problems.append(f"{where}: record was edited, its hash does not match its content")
                elif rec.get("mac") != MAC and rec.get("env") in self.keys:  # a downgrade: anyone can recompute a plain hash
                    self.problems.append(f"{where}: carries no HMAC, though env {rec.get('env')} signs its records (evidence.hmac_key): not evidence")
                if seq <= last_seq:
                    self.problems.append(f"{where}: out of order, it comes after seq {last_seq}")
                else:
                    if seq > last_seq + 1:
                        gap = range(last_seq + 1, seq)
                        self.missing += list(gap[:max(0, SHOWN_MISSING + 1 - len(self.missing))])
                        self.missing_count += len(gap)
                    if prev_seq is not None and prev_seq == seq - 1:
                        if rec.get("prev") != prev_hash and not edited:
                            self.problems.append(f"{where}: chain broken, the record before it was rewritten")
                    elif prev_seq is None and seq == 1 and rec.get("prev") != GENESIS:
                        self.problems.append(f"{where}: chain broken at its start")
                last_seq = max(last_seq, seq)
                prev_seq, prev_hash = seq, rec.get("hash")
                end.off, end.line, end.seq, end.hash, end.at, end.length = pos, lineno, seq, rec.get("hash", ""), here, len(raw)
                if rec.get("kind") == "repair":
                    self.repairs.append(f"{name} seq {seq}: {rec.get('note', 'a torn record was set aside')}")
                yield rec
        if self.missing_count:
            shown = ", ".join(map(str, self.missing[:SHOWN_MISSING])) + (" ..." if self.missing_count > SHOWN_MISSING else "")
            self.problems.append(f"{name}: record seq {shown} {'was' if self.missing_count == 1 else 'were'} removed")
        for env in sorted(self.unkeyed, key=str):
            self.problems.append(f"{name}: records of env {env} carry an HMAC and its key is not set here: set the variable its environment file names in evidence.hmac_key")


# -- checkpoints -------------------------------------------------------------------------------
def _checkpoint_path(root: Path) -> Path:
    return witness.state_dir() / "checkpoints" / f"{witness.runs_key(root)}.json"


def load_checkpoint(root: Path) -> dict | None:
    try:
        data = json.loads(_checkpoint_path(root).read_text())
        return {"at": str(data["at"]), "ledger": Mark(**data["ledger"]), "journal": Mark(**data["journal"]),
                "pending": {str(k): v for k, v in (data.get("pending") or {}).items()}, "unvouched": data.get("unvouched") or {},
                "witness_off": int(data.get("witness_off") or 0), "edge": _edge(data.get("edge")),
                "anchors": {int(k): str(v) for k, v in (data.get("anchors") or {}).items()}}
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _edge(data) -> dict:
    """The latest second a covered run started in, and the runs that started in it: files named with that second
    may belong to runs before the checkpoint or after it (runs start several a second), so their ids decide."""
    if not isinstance(data, dict) or not isinstance(data.get("at"), str) or not isinstance(data.get("runs"), list):
        return {"at": "", "runs": []}
    return {"at": data["at"], "runs": [str(r) for r in data["runs"]][:1000]}


def save_checkpoint(root: Path, marks: dict, pending: dict, unvouched: dict, edge: dict | None = None, anchors: dict | None = None) -> None:
    path = _checkpoint_path(root)
    filing.make_dirs(path.parent)
    data = {"at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "runs_dir": str(Path(root).resolve()),
            **{k: vars(v) for k, v in marks.items()}, "pending": pending, "unvouched": unvouched, "edge": edge or {"at": "", "runs": []},
            "anchors": {str(k): v for k, v in (anchors or {}).items()}}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def _still_there(path: Path, mark: Mark) -> bool:
    """The chain holds the checkpoint's last record, unchanged, where it was."""
    if not mark.length:
        return mark.off == 0 or (path.is_file() and path.stat().st_size >= mark.off)
    try:
        with open(path, "rb") as fh:
            fh.seek(mark.at)
            rec = _parse(fh.read(mark.length))
    except OSError:
        return False
    return rec is not None and rec.get("seq") == mark.seq and rec.get("hash") == mark.hash


# -- the whole verification ---------------------------------------------------------------------
def verify(evidence, loaded: dict, asked: bool, in_flight: set, since_last: bool = False, keep: bool = False) -> Result:
    """Problems between the chains, the filed files, each other and every loaded environment's witness."""
    root = Path(evidence.root)
    result = Result()
    start = load_checkpoint(root) if since_last else None
    if since_last and start is None:
        result.notes.append("no checkpoint of a clean verify here yet: everything was verified")
    if start is not None:
        for name in ("ledger", "journal"):
            if not _still_there(root / f"{name}.jsonl", start[name]):
                result.problems.append(f"{name}.jsonl no longer holds seq {start[name].seq} as the last verify (at {start['at']}) left it: "
                                       "the chain was cut or rewritten before the checkpoint; run a full `opslib verify`")
        if result.problems:
            return result
        result.since = start["at"]
    later: list = []
    witnesses = _witnesses(root, loaded, asked, result, start, later)
    problems = result.problems
    envs: set = set()  # of the run records read

    ledger = Walk(root / "ledger.jsonl", evidence.keys, problems, start["ledger"] if start else None)
    ledgered: dict[str, tuple] = dict(start["unvouched"]) if start else {}
    filed: set[str] = set()
    edge = dict(start["edge"]) if start else {"at": "", "runs": []}
    for rec in ledger:
        for w in witnesses:
            w.see("ledger", rec)
        if rec.get("kind", "run") == "repair":  # a torn line set aside: Walk lists it
            continue
        if rec.get("kind", "run") != "run":
            problems.append(f"ledger.jsonl seq {rec.get('seq')}: a {str(rec.get('kind'))[:40]!r} record, which the ledger never holds: not evidence")
            continue
        result.runs += 1
        envs.add(rec.get("env"))
        run_id = rec.get("run_id")
        counts = rec.get("checks") if isinstance(rec.get("checks"), dict) else {}
        ledgered[str(run_id)] = (rec.get("seq"), rec.get("status"), [counts.get(s, 0) for s in STATUSES])
        _check_files(evidence, rec, filed, problems)
        second = str(rec.get("started") or "")[:19]
        if second > edge["at"]:
            edge = {"at": second, "runs": [str(run_id)]}
        elif second == edge["at"]:
            edge["runs"].append(str(run_id))

    journal = Walk(root / "journal.jsonl", evidence.keys, problems, start["journal"] if start else None)
    pending: dict[str, dict] = dict(start["pending"]) if start else {}  # run -> {"checks": {key: status}, "runner": bool}
    ended: dict[str, list] = {}
    anchors: dict[int, str] = dict(start["anchors"]) if start else {}  # incidents.jsonl seq -> hash, as the journal anchored them
    for rec in journal:
        result.journal += 1
        for w in witnesses:
            w.see("journal", rec)
        if rec.get("kind") == ANCHOR and isinstance(rec.get("incident_seq"), int):
            anchors[rec["incident_seq"]] = str(rec.get("incident_hash"))
        run_id = rec.get("run_id")
        if not isinstance(run_id, str) or run_id.startswith("interactive-"):
            continue
        entry = pending.setdefault(run_id, {"checks": {}, "runner": False})
        kind = rec.get("kind")
        if kind == "check" and isinstance(rec.get("check"), dict):
            c = rec["check"]
            entry["checks"][f"{c.get('id')}\x1f{c.get('resource')}"] = None if c.get("phase") == "before" else c.get("status")  # before a change: evidence, not counted
        elif kind == "run-start":
            entry["runner"] = True
        elif kind == "run-end":
            seen = pending.pop(run_id)
            ended[run_id] = [sum(1 for s in seen["checks"].values() if s == want) for want in STATUSES] + [seen["runner"]]
    problems += _incident_records(evidence, anchors)  # a few records an incident: always whole, each against its anchor
    result.notes += ledger.repairs + journal.repairs
    _orphans(root, filed, start, problems)
    unvouched = _vouch(ledgered, ended, pending, in_flight, problems)
    for w in witnesses:
        problems += w.finish({"ledger": ledger.end.seq, "journal": journal.end.seq}, in_flight)
    problems += [problem for env, wanted, problem in later if wanted or env in envs]  # since a checkpoint: runs since it
    if keep and not problems:  # the next `--since-last` starts here
        keep = {run_id: entry for run_id, entry in pending.items() if entry["runner"] or entry["checks"]}
        save_checkpoint(root, {"ledger": ledger.end, "journal": journal.end}, keep, unvouched, edge, anchors)
    return result


def _incident_records(evidence, anchors: dict) -> list[str]:
    """incidents.jsonl as a chain, each record against the journal's anchor of it (a record rewritten with its
    hash recomputed, the tail cut, the file deleted), and each post-mortem file against the SHA-256 its record holds."""
    problems: list[str] = []
    seen: dict[int, dict] = {}
    for rec in Walk(Path(evidence.root) / "incidents.jsonl", evidence.keys, problems):
        seen[rec["seq"]] = rec
    for seq, rec in seen.items():
        want = anchors.get(seq)
        if want is None:
            problems.append(f"incidents.jsonl seq {seq} ({rec.get('kind')} of {rec.get('incident')}) is anchored by no journal record: not evidence")
        elif rec.get("hash") != want:
            problems.append(f"incidents.jsonl seq {seq} ({rec.get('kind')} of {rec.get('incident')}) differs from the journal's anchor of it: rewritten")
        if rec.get("kind") == POSTMORTEM and rec.get("path"):
            path = evidence.inside(rec["path"])
            if path is None or not path.is_file():
                problems.append(f"{rec.get('incident')}: its post-mortem {rec['path']} is missing")
            elif sha256_file(path) != rec.get("sha256"):
                problems.append(f"{rec.get('incident')}: its post-mortem {rec['path']} was changed after it was filed (SHA-256 differs)")
    missing = sorted(set(anchors) - set(seen))
    if missing:
        problems.append(f"incidents.jsonl lacks seq {', '.join(map(str, missing[:10]))}{' ...' if len(missing) > 10 else ''}, which the journal anchored: "
                        "incident records were cut or deleted")
    return problems


def _check_files(evidence, rec: dict, filed: set, problems: list) -> None:
    root = Path(evidence.root).resolve()
    for key in ("output", "html"):
        rel = rec.get(key)
        if not rel:
            continue
        path = evidence.inside(rel)
        if path is None:
            problems.append(f"run {rec.get('run_id')}: its {key} path {rel!r} leads outside the runs directory; not followed")
            continue
        filed.add(path.relative_to(root).as_posix())
        want = rec.get(f"{key}_sha256")
        if not path.is_file():
            problems.append(f"run {rec.get('run_id')}: {rel} is missing")
        elif want and sha256_file(path) != want:
            problems.append(f"run {rec.get('run_id')}: {rel} was changed after it was filed (SHA-256 differs)")


def _orphans(root: Path, filed: set, start: dict | None, problems: list) -> None:
    """Filed-looking files no record names (their record was removed). Since a checkpoint, only those
    of runs started after the last run it covered (their name says when, and in that very second, which run):
    earlier ones were named by records before it."""
    edge = start["edge"] if start else {"at": "", "runs": []}
    since = edge["at"] or (start["at"].replace("+00:00", "") if start else "")
    for day in sorted(p for p in root.glob("[0-9][0-9][0-9][0-9]/*/*") if p.is_dir()):
        if since and day.relative_to(root).as_posix() < since[:10].replace("-", "/"):
            continue  # a day before the checkpoint's: its files were named by records before it
        for path in sorted(day.iterdir()):
            rel = path.relative_to(root).as_posix()
            if path.suffix not in (".ipynb", ".html") or rel in filed:
                continue
            if since and (_started(rel) < since or (_started(rel) == edge["at"] and path.stem.rsplit("__", 1)[-1] in edge["runs"])):
                continue
            problems.append(f"{rel} has no ledger record (its record was removed)")


def _started(rel: str) -> str:
    """`2026-11-23T07:15:02` from `2026/11/23/name__env__T071502Z__id.html` ("" when it does not say)."""
    m = _NAMED.search(rel)
    return f"{m[1]}-{m[2]}-{m[3]}T{m[4]}:{m[5]}:{m[6]}" if m else ""


def _vouch(ledgered: dict, ended: dict, pending: dict, in_flight: set, problems: list) -> dict:
    """The ledger and the journal vouch for each other: same runs, same check counts. Returns the ledger's
    runs whose journal has not ended yet (a run being filed), for the next checkpoint."""
    unvouched = {}
    for run_id, (seq, status, counts) in ledgered.items():
        seen = ended.get(run_id)
        if seen is None:
            if run_id in pending or run_id in in_flight:
                unvouched[run_id] = (seq, status, counts)
                continue
            problems.append(f"run {run_id} (ledger seq {seq}) has no journal records: the journal was cut or the record forged")
            continue
        if status in ("passed", "warn", "critical", "error") and seen[:4] != list(counts):
            shown_ledger = dict(zip(STATUSES, counts))
            problems.append(f"run {run_id} (ledger seq {seq}): check counts {shown_ledger} differ from its journal {dict(zip(STATUSES, seen[:4]))}")
    for run_id, seen in ended.items():
        if seen[4] and run_id not in ledgered and run_id not in in_flight:
            problems.append(f"run {run_id} is in the journal but has no ledger record: the ledger was cut")
    for run_id, entry in pending.items():
        if entry["runner"] and run_id not in ledgered and run_id not in in_flight:
            problems.append(f"run {run_id} is in the journal but has no ledger record: the ledger was cut")
    return unvouched


class _Witnessed:
    """One witness's heads, compared with the records as they stream past."""

    def __init__(self, name: str, points: list):
        self.name = name
        self.expect = {c: {} for c in witness.CHAINS}
        self.run_of = {}
        for p in points:
            self.expect[p.chain][p.seq] = p.hash
            self.run_of[(p.chain, p.seq)] = p.run_id
        self.top = {c: max(self.expect[c], default=0) for c in witness.CHAINS}
        self.rewritten = {c: None for c in witness.CHAINS}
        self.behind: list = []
        self.journal_behind: list = []  # (seq, run, kind) past the witness's journal head

    def see(self, chain: str, rec: dict) -> None:
        seq = rec["seq"]
        want = self.expect[chain].get(seq)
        if want is not None and rec.get("hash") != want and self.rewritten[chain] is None:
            self.rewritten[chain] = seq
        if chain == "ledger" and self.expect["ledger"] and seq > self.top["ledger"] and rec.get("kind", "run") == "run":
            self.behind.append((seq, rec.get("run_id")))
        if chain == "journal" and self.expect["journal"] and seq > self.top["journal"]:
            self.journal_behind.append((seq, str(rec.get("run_id")), rec.get("kind")))

    def finish(self, last: dict, in_flight: set = frozenset()) -> list[str]:
        """`in_flight`: runs still running, whose journal records their run-end head will cover."""
        problems = []
        for chain in witness.CHAINS:
            if not self.expect[chain]:
                continue
            top = self.top[chain]
            if last[chain] < top:
                run = self.run_of.get((chain, top))
                problems.append(f"{chain} ends at seq {last[chain]}; the witness {self.name} holds seq {top}"
                                + (f" (run {run})" if run else "") + ": records were removed from its end")
            if self.rewritten[chain] is not None:
                problems.append(f"{chain} seq {self.rewritten[chain]} differs from the witness {self.name}: the chain was rewritten from there")
        for seq, run_id in self.behind:
            problems.append(f"ledger seq {seq} (run {run_id}) is not in the witness {self.name}, which ends at seq {self.top['ledger']}: "
                            "appended behind the witness's back, or the witness was unreachable when it ran")
        unwitnessed = [(seq, run, kind) for seq, run, kind in self.journal_behind if run not in in_flight]
        if unwitnessed:
            seq, run, kind = unwitnessed[0]
            more = f" and {len(unwitnessed) - 1} more" if len(unwitnessed) > 1 else ""
            problems.append(f"journal seq {seq} ({kind}, run {run}){more} not covered by the witness {self.name}, which ends at seq {self.top['journal']}: "
                            "appended behind the witness's back, or the witness was unreachable then; not evidence")
        return problems


def _witnesses(root: Path, loaded: dict, asked: bool, result: Result, start: dict | None, later: list) -> list[_Witnessed]:
    """Every loaded environment's witness and the heads it holds (since the checkpoint, with one). What is
    wrong only if the environment has runs here goes to `later` (env, asked, problem), for after the ledger is read."""
    from .errors import BadInput

    out = []
    after = {c: start[c].seq for c in witness.CHAINS} if start else None
    for env, data in loaded.items():
        try:
            make = witness.for_environment(env, data, root)
        except BadInput as exc:
            if asked:
                raise
            result.notes.append(f"witness of {env} not consulted: {exc}")
            continue
        if make is None:
            continue
        try:
            found = make()
            points = found.points(root, after=after)
        except Exception as exc:  # unreachable
            later.append((env, asked, f"witness of {env} could not be read: {type(exc).__name__}: {str(exc)[:160]}"))
            continue
        if start is not None:
            for chain in witness.CHAINS:  # the checkpoint itself must be what the witness holds
                held = [p for p in points if p.chain == chain and p.seq == start[chain].seq]
                if held and held[0].hash != start[chain].hash:
                    result.problems.append(f"{chain} seq {start[chain].seq} differs from the witness {found.name}: the chain was rewritten from there")
            points = [p for p in points if p.seq > start[p.chain].seq]
        elif not points:
            later.append((env, False, f"the witness {found.name} holds no head of this runs directory, though it holds {env} runs: "
                                      "the directory was moved or copied here, or its heads were never witnessed"))
        result.consulted.append(f"{found.name} ({len(points)} head(s){' since the checkpoint' if start else ''})")
        out.append(_Witnessed(found.name, points))
    return out
