"""Append-only, hash-chained JSON-lines logs: the run ledger and the journal.

Each record carries `seq`, the hash of the record before it (`prev`) and its own hash, so an
edited, removed or re-ordered line is found by `verify`. Appends hold an exclusive lock on the
file, so concurrent runs never interleave or lose a record.
"""

import fcntl
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

GENESIS = "0" * 64


def _digest(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class Chain:
    """One hash-chained log file."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def append(self, record: dict) -> dict:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                last = _last_line(fh)
                prev = json.loads(last) if last else None
                entry = dict(record, seq=(prev["seq"] + 1) if prev else 1, prev=prev["hash"] if prev else GENESIS)
                entry["hash"] = _digest(entry)
                fh.seek(0, os.SEEK_END)
                fh.write((json.dumps(entry, sort_keys=True) + "\n").encode())
                fh.flush()
                os.fsync(fh.fileno())
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return entry

    def records(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]

    def verify(self) -> list[str]:
        """Every problem found, one sentence each; empty when the chain is intact."""
        if not self.path.exists():
            return []
        name = self.path.name
        lines = []
        problems = []
        for lineno, text in enumerate(self.path.read_text().splitlines(), 1):
            try:
                lines.append((lineno, json.loads(text)))
            except json.JSONDecodeError:
                problems.append(f"{name} line {lineno}: not valid JSON (edited)")
        present = {rec.get("seq") for _, rec in lines}
        top = max((s for s in present if isinstance(s, int)), default=0)
        for s in range(1, top + 1):
            if s not in present:
                problems.append(f"{name}: record seq {s} was removed")
        last_seq, prev_rec = 0, None
        for lineno, rec in lines:
            seq = rec.get("seq")
            where = f"{name} line {lineno} (seq {seq}, run {rec.get('run_id', '-')})"
            edited = rec.get("hash") != _digest(rec)
            if edited:
                problems.append(f"{where}: record was edited, its hash does not match its content")
            if not isinstance(seq, int) or seq <= last_seq:
                problems.append(f"{where}: out of order, it comes after seq {last_seq}")
            elif prev_rec is not None and prev_rec.get("seq") == seq - 1:
                if rec.get("prev") != prev_rec.get("hash") and not edited:
                    problems.append(f"{where}: chain broken, the record before it was rewritten")
            elif prev_rec is None and seq == 1 and rec.get("prev") != GENESIS:
                problems.append(f"{where}: chain broken at its start")
            if isinstance(seq, int):
                last_seq = max(last_seq, seq)
            prev_rec = rec
        return problems


def _last_line(fh) -> bytes:
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    if size == 0:
        return b""
    back = min(size, 65536)
    while True:
        fh.seek(size - back)
        tail = fh.read(back).rstrip(b"\n")
        if b"\n" in tail or back == size:
            return tail.rsplit(b"\n", 1)[-1]
        back = min(size, back * 4)


@dataclass
class Evidence:
    """The runs directory: the run ledger, the journal and the filed outputs."""

    root: Path

    @property
    def ledger(self) -> Chain:
        return Chain(self.root / "ledger.jsonl")

    @property
    def journal(self) -> Chain:
        return Chain(self.root / "journal.jsonl")

    def verify(self) -> list[str]:
        problems = self.ledger.verify() + self.journal.verify()
        for rec in self.ledger.records():
            for key in ("output", "html"):
                rel = rec.get(key)
                if not rel:
                    continue
                path = self.root / rel
                want = rec.get(f"{key}_sha256")
                if not path.exists():
                    problems.append(f"run {rec.get('run_id')}: {rel} is missing")
                elif want and sha256_file(path) != want:
                    problems.append(f"run {rec.get('run_id')}: {rel} was changed after it was filed (SHA-256 differs)")
        filed = {rec.get(k) for rec in self.ledger.records() for k in ("output", "html")}
        for path in sorted(self.root.glob("[0-9][0-9][0-9][0-9]/*/*/*")):
            rel = path.relative_to(self.root).as_posix()
            if path.suffix in (".ipynb", ".html") and rel not in filed:
                problems.append(f"{rel} has no ledger record (its record was removed)")
        return problems
