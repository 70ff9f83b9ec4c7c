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
    except (ValueError, RecursionError):  # nested deeper than the parser goes: not a record either
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

    def lines(self) -> list[tuple[int, dict | None]]:
        """(line number, record or None when unreadable) for every line."""
        if not self.path.is_file():
            return []
        data = self.path.read_bytes()
        return [(n, _parse(line)) for n, line in enumerate(data.splitlines(), 1) if line.strip()]

    def after(self, seq: int) -> list[dict]:
        """The readable records past `seq`, oldest first, read back from the end only as far as `seq` (what waits to be
        sent costs what it holds, not the chain's length)."""
        if not self.path.is_file():
            return []
        out = []
        for line in filing.lines_backwards(self.path):
            rec = _parse(line)
            if rec is None:
                continue
            if rec["seq"] <= seq:
                break
            out.append(rec)
        return out[::-1]

    def records(self) -> list[dict]:
        """Readable records only (verify names the others)."""
        return [rec for _, rec in self.lines() if rec is not None]

    def verify(self, keys: dict | None = None) -> list[str]:
        """Every problem found, one sentence each; empty when the chain is intact (streamed: opslib.verification).

        `keys` maps an environment to its HMAC key, for records written with one."""
        from .verification import Walk

        problems: list[str] = []
        for _ in Walk(self.path, keys or {}, problems):
            pass
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
        """Both chains, the incident records, every filed file, and the ledger and journal against each other
        (no witness: `opslib verify` consults those too)."""
        from .verification import verify

        return verify(self, {}, False, in_flight or set()).problems
