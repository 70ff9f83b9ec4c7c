"""Append-only, hash-chained JSON-lines logs: the run ledger and the journal.

Each record carries `seq`, the hash of the record before it (`prev`) and its own hash, so an
edited, removed or re-ordered line is found by `verify`. With a key (the environment file's
`evidence.hmac_key`) the hash is an HMAC, so whoever lacks the key cannot recompute the chain.
Appends hold an exclusive lock on the file, so concurrent runs never interleave or lose a record;
a torn last line (full disk, crash) is set aside in a quarantine file by the next append, which
says so in a repair record. Every record is scrubbed of known secrets before it is written.
"""

import base64
import fcntl
import hashlib
import hmac
import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from . import filing
from .secrets import scrub_tree

GENESIS = "0" * 64
MAC = "hmac-sha256"


def _digest(record: dict, key: bytes | None = None) -> str:
    body = json.dumps({k: v for k, v in record.items() if k != "hash"}, sort_keys=True, separators=(",", ":")).encode()
    if record.get("mac") == MAC:
        return hmac.new(key or b"", body, hashlib.sha256).hexdigest()
    return hashlib.sha256(body).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _parse(line: bytes):
    """A record, or None for a line that is not one (torn, edited into nonsense)."""
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    if not isinstance(rec, dict) or not isinstance(rec.get("seq"), int) or not isinstance(rec.get("hash"), str):
        return None
    return rec


class Chain:
    """One hash-chained log file."""

    def __init__(self, path: Path, key: bytes | None = None):
        self.path = Path(path)
        self.key = key

    @property
    def quarantine(self) -> Path:
        return self.path.with_name(self.path.stem + ".quarantine.jsonl")

    def append(self, record: dict, complete=None) -> dict:
        """`complete(chain, record)`, when given, finishes the record under the lock, after every
        earlier append: what it reads of the chain (the last incident number of the day) cannot
        change before the record is written."""
        with filing.open_append(self.path) as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                prev = self._repair_tail(fh)
                record, _ = scrub_tree(complete(self, record) if complete else record)
                entry = self._entry(record, prev)
                _write_line(fh, entry)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def _entry(self, record: dict, prev: dict | None) -> dict:
        entry = dict(record, seq=(prev["seq"] + 1) if prev else 1, prev=prev["hash"] if prev else GENESIS)
        entry.pop("mac", None)
        if self.key and record.get("kind") != "repair":  # a repair record has no env to find a key by
            entry["mac"] = MAC
        entry["hash"] = _digest(entry, self.key)
        return entry

    def _repair_tail(self, fh) -> dict | None:
        """The last good record; a torn or unparsable tail is moved to the quarantine file first and
        a repair record saying so is chained in its place."""
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        if size == 0:
            return None
        good_end, last = _good_prefix(fh, size)
        if good_end == size:
            return last
        fh.seek(good_end)
        torn = fh.read()
        note = {"at": _now(), "chain": self.path.name, "bytes": len(torn), "sha256": hashlib.sha256(torn).hexdigest(),
                "base64": base64.b64encode(torn).decode()}
        with filing.open_append(self.quarantine) as q:
            _write_line(q, note)
        fh.truncate(good_end)
        repair = self._entry({"kind": "repair", "at": note["at"], "quarantined": {k: note[k] for k in ("bytes", "sha256")},
                              "note": f"{len(torn)} unreadable byte(s) at the end of {self.path.name} set aside in {self.quarantine.name}"}, last)
        _write_line(fh, repair)
        return repair

    def repairs(self) -> list[str]:
        """One line per torn tail a later append set aside."""
        return [f"{self.path.name} seq {r['seq']}: {r.get('note', 'a torn record was set aside')}" for r in self.records() if r.get("kind") == "repair"]

    def lines(self) -> list[tuple[int, dict | None]]:
        """(line number, record or None when unreadable) for every line."""
        if not self.path.is_file():
            return []
        data = self.path.read_bytes()
        return [(n, _parse(line)) for n, line in enumerate(data.splitlines(), 1) if line.strip()]

    def records(self) -> list[dict]:
        """Readable records only (verify names the others)."""
        return [rec for _, rec in self.lines() if rec is not None]

    def verify(self, keys: dict | None = None) -> list[str]:
        """Every problem found, one sentence each; empty when the chain is intact.

        `keys` maps an environment to its HMAC key, for records written with one."""
        keys = keys or {}
        name = self.path.name
        problems = []
        lines = []
        for lineno, rec in self.lines():
            if rec is None:
                problems.append(f"{name} line {lineno}: not a readable record (edited or torn)")
            else:
                lines.append((lineno, rec))
        present = {rec["seq"] for _, rec in lines}
        top = max(present, default=0)
        missing = [s for s in range(1, top + 1) if s not in present]
        if missing:
            shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
            problems.append(f"{name}: record seq {shown} {'was' if len(missing) == 1 else 'were'} removed")
        last_seq, prev_rec = 0, None
        unkeyed = set()
        for lineno, rec in lines:
            seq = rec["seq"]
            where = f"{name} line {lineno} (seq {seq}, run {rec.get('run_id', '-')})"
            if rec.get("mac") == MAC and keys.get(rec.get("env")) is None:
                unkeyed.add(rec.get("env"))
                edited = False
            else:
                edited = rec.get("hash") != _digest(rec, keys.get(rec.get("env")))
            if edited:
                problems.append(f"{where}: record was edited, its hash does not match its content")
            if seq <= last_seq:
                problems.append(f"{where}: out of order, it comes after seq {last_seq}")
            elif prev_rec is not None and prev_rec["seq"] == seq - 1:
                if rec.get("prev") != prev_rec.get("hash") and not edited:
                    problems.append(f"{where}: chain broken, the record before it was rewritten")
            elif prev_rec is None and seq == 1 and rec.get("prev") != GENESIS:
                problems.append(f"{where}: chain broken at its start")
            last_seq = max(last_seq, seq)
            prev_rec = rec
        for env in sorted(unkeyed, key=str):
            problems.append(f"{name}: records of env {env} carry an HMAC and its key is not set here: set the variable its environment file names in evidence.hmac_key")
        return problems


def _write_line(fh, record: dict) -> None:
    """One whole JSON line, on disk before the lock is released."""
    fh.write((json.dumps(record, sort_keys=True) + "\n").encode())
    fh.flush()
    os.fsync(fh.fileno())


def _good_prefix(fh, size: int) -> tuple[int, dict | None]:
    """Where the last whole, readable record ends, and that record; reads only the tail.

    Only a bad *tail* is set aside; an unreadable line followed by good ones stays for verify."""
    back = min(size, 1 << 16)
    while True:
        base = size - back
        fh.seek(base)
        chunk = fh.read(back)
        parts = chunk.split(b"\n")
        offset = len(chunk) - len(parts[-1])  # end of the last complete line
        for i in range(len(parts) - 2, -1, -1):
            if i == 0 and base > 0:
                break  # this line may start before the chunk: read further back
            rec = _parse(parts[i])
            if rec is not None:
                return base + offset, rec
            offset -= len(parts[i]) + 1
        else:
            return 0, None
        back = min(size, back * 4)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass
class Evidence:
    """The runs directory: the run ledger, the journal and the filed outputs."""

    root: Path
    key: bytes | None = None
    keys: dict = field(default_factory=dict)  # env -> key, for verify

    @property
    def ledger(self) -> Chain:
        return Chain(self.root / "ledger.jsonl", self.key)

    @property
    def journal(self) -> Chain:
        return Chain(self.root / "journal.jsonl", self.key)

    @property
    def incidents(self) -> Chain:
        """Incident records (opslib.incidents): declared, updated, notified, resolved."""
        return Chain(self.root / "incidents.jsonl", self.key)

    def inside(self, rel) -> Path | None:
        """The filed file a record names, or None when the name leads outside the runs directory."""
        if not isinstance(rel, str) or not rel or rel.startswith("/") or "\\" in rel:
            return None
        path = (self.root / rel).resolve()
        root = self.root.resolve()
        return path if path.is_relative_to(root) and path != root else None

    def verify(self, in_flight: set | None = None) -> list[str]:
        in_flight = in_flight or set()
        problems = self.ledger.verify(self.keys) + self.journal.verify(self.keys) + self.incidents.verify(self.keys)
        runs = [r for r in self.ledger.records() if r.get("kind", "run") == "run"]
        filed = set()
        for rec in runs:
            for key in ("output", "html"):
                rel = rec.get(key)
                if not rel:
                    continue
                path = self.inside(rel)
                if path is None:
                    problems.append(f"run {rec.get('run_id')}: its {key} path {rel!r} leads outside the runs directory; not followed")
                    continue
                filed.add(path.relative_to(self.root.resolve()).as_posix())
                want = rec.get(f"{key}_sha256")
                if not path.is_file():
                    problems.append(f"run {rec.get('run_id')}: {rel} is missing")
                elif want and sha256_file(path) != want:
                    problems.append(f"run {rec.get('run_id')}: {rel} was changed after it was filed (SHA-256 differs)")
        for path in sorted(self.root.glob("[0-9][0-9][0-9][0-9]/*/*/*")):
            rel = path.relative_to(self.root).as_posix()
            if path.suffix in (".ipynb", ".html") and rel not in filed:
                problems.append(f"{rel} has no ledger record (its record was removed)")
        return problems + self._vouch(runs, in_flight)

    def _vouch(self, runs: list[dict], in_flight: set) -> list[str]:
        """The ledger and the journal vouch for each other: same runs, same check counts."""
        problems = []
        journaled: dict[str, dict] = {}
        for rec in self.journal.records():
            run_id = rec.get("run_id")
            if not isinstance(run_id, str) or run_id.startswith("interactive-"):
                continue
            entry = journaled.setdefault(run_id, {"checks": {}, "runner": False})
            if rec.get("kind") == "check" and isinstance(rec.get("check"), dict):
                c = rec["check"]
                entry["checks"][(c.get("id"), c.get("resource"))] = c.get("status")
            if rec.get("kind") == "run-start":
                entry["runner"] = True
        ledgered = {r.get("run_id"): r for r in runs}
        for run_id, rec in ledgered.items():
            seen = journaled.get(run_id)
            if seen is None:
                problems.append(f"run {run_id} (ledger seq {rec.get('seq')}) has no journal records: the journal was cut or the record forged")
                continue
            if rec.get("status") in ("passed", "warn", "critical", "error"):
                counts = {s: 0 for s in ("OK", "WARN", "CRITICAL", "ERROR")}
                for status in seen["checks"].values():
                    if status in counts:
                        counts[status] += 1
                if counts != {s: (rec.get("checks") or {}).get(s, 0) for s in counts}:
                    problems.append(f"run {run_id} (ledger seq {rec.get('seq')}): check counts {rec.get('checks')} differ from its journal {counts}")
        for run_id, seen in journaled.items():
            if seen["runner"] and run_id not in ledgered and run_id not in in_flight:
                problems.append(f"run {run_id} is in the journal but has no ledger record: the ledger was cut")
        return problems
