"""Witnesses: the head of each chain, kept where whoever holds the runs directory cannot rewrite it.

After every run the runner hands the ledger's and the journal's heads (seq and hash) to the
witness the environment file names in `evidence.witness`:

- `s3://bucket/prefix`: one object per head in a bucket with Object Lock in compliance mode
  (nobody, root included, can delete or overwrite it until its retention ends);
- `file:PATH`: a line per head appended to a file outside the runs directory (relative paths
  are under the opslib state folder; make it append-only with `chattr +a` where you can).

`verify` compares the chains to every head witnessed for this runs directory and names
truncation, rewrites and records appended behind the witness's back.
"""

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from . import filing
from .errors import BadInput

CHAINS = ("ledger", "journal")


def state_dir() -> Path:
    return Path(os.environ.get("OPSLIB_STATE_DIR") or Path.home() / ".local" / "state" / "opslib")


def runs_key(runs_dir) -> str:
    """Which runs directory a head belongs to: one witness serves many. A str is a key already (a team's evidence
    store's, opslib.store: every machine's heads of it under one key)."""
    if isinstance(runs_dir, str):
        return runs_dir
    return hashlib.sha256(str(Path(runs_dir).resolve()).encode()).hexdigest()[:16]


@dataclass
class Point:
    chain: str
    seq: int
    hash: str
    run_id: str = ""

    def as_dict(self) -> dict:
        return {"chain": self.chain, "seq": self.seq, "hash": self.hash, "run_id": self.run_id}


class FileWitness:
    def __init__(self, path: Path):
        self.path = path
        self.name = f"file:{path}"

    def record(self, runs_dir: Path, points: list[Point]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        at = datetime.now(timezone.utc).isoformat(timespec="seconds")
        lines = "".join(json.dumps({"runs": runs_key(runs_dir), "at": at, **p.as_dict()}, sort_keys=True) + "\n" for p in points)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a") as fh:
            fh.write(lines)
            fh.flush()
            os.fsync(fh.fileno())

    def points(self, runs_dir: Path, after: dict | None = None, chains=CHAINS) -> list[Point]:
        """The heads of this runs directory (of `chains`: a store's are `store`); `after` (chain -> seq): only those from
        that seq on, read back from the file's end until both chains reach it (heads are appended in order)."""
        if not self.path.is_file():
            return []
        key = runs_key(runs_dir)
        out, below = [], set()
        for line in (filing.lines_backwards(self.path) if after else _lines(self.path)):
            if key.encode() not in line:
                continue
            try:
                d = json.loads(line)
                if d.get("runs") != key:
                    continue
                p = Point(d["chain"], int(d["seq"]), str(d["hash"]), d.get("run_id", ""))
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
                continue
            if p.chain not in chains:
                continue
            if after is not None and p.seq < after.get(p.chain, 0):
                below.add(p.chain)
                if below >= set(chains):
                    break  # every chain asked for is back past the checkpoint
                continue
            out.append(p)
        return out if after is None else out[::-1]


def _lines(path: Path):
    with open(path, "rb") as fh:
        yield from fh


class S3Witness:
    """Heads as object keys (`<prefix>/<runs>/<chain>/<seq>-<hash>-<run>`): one LIST reads them all."""

    def __init__(self, bucket: str, prefix: str, aws, retain_days: int = 400):
        self.bucket, self.prefix, self.aws, self.retain_days = bucket, prefix.strip("/"), aws, retain_days
        self.name = f"s3://{bucket}/{self.prefix}"

    def _base(self, runs_dir: Path) -> str:
        return "/".join(p for p in (self.prefix, runs_key(runs_dir)) if p)

    def record(self, runs_dir: Path, points: list[Point]) -> None:
        s3 = self.aws.client("s3")
        until = datetime.now(timezone.utc) + timedelta(days=self.retain_days)
        for p in points:
            s3.put_object(Bucket=self.bucket, Key=f"{self._base(runs_dir)}/{p.chain}/{p.seq:012d}-{p.hash}-{p.run_id or '-'}",
                          Body=json.dumps(p.as_dict()).encode(), ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)

    def points(self, runs_dir: Path, after: dict | None = None, chains=CHAINS) -> list[Point]:
        """One LIST a chain; `after` (chain -> seq) starts each at that seq (keys sort by seq)."""
        s3 = self.aws.client("s3")
        out = []
        pages = []
        for chain in chains:
            prefix = f"{self._base(runs_dir)}/{chain}/"
            start = {"StartAfter": f"{prefix}{after[chain] - 1:012d}"} if after and after.get(chain, 0) > 0 else {}
            pages += s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix, **start)
        for page in pages:
            for obj in page.get("Contents", []):
                chain, name = obj["Key"].split("/")[-2], obj["Key"].split("/")[-1]
                seq, _, rest = name.partition("-")
                digest, _, run_id = rest.partition("-")
                if chain in chains and seq.isdigit():
                    out.append(Point(chain, int(seq), digest, "" if run_id == "-" else run_id))
        return out


def for_environment(env: str, env_data: dict, runs_dir: Path):
    """None, or a callable making the environment's witness (its spec checked now, connected when called)."""
    parsed = parse((env_data.get("evidence") or {}).get("witness"), runs_dir, f"parameters/{env}.yaml evidence.witness")
    if parsed is None:
        return None

    def make():
        from .aws import Aws, AwsSettings

        return parsed(Aws(AwsSettings.from_env_file(env_data, user_agent="opslib/witness")))  # "sandbox": Aws finds (or starts) it

    return make


def parse(spec, runs_dir: Path, origin: str):
    """Check `evidence.witness` before anything runs; returns a maker that needs an `Aws`."""
    if spec in (None, ""):
        return None
    if not isinstance(spec, str):
        raise BadInput(f"{origin} is {type(spec).__name__}", 'write it as "s3://bucket/prefix" or "file:PATH"')
    if spec.startswith("s3://"):
        bucket, _, prefix = spec[5:].partition("/")
        if not bucket:
            raise BadInput(f"{origin} names no bucket", 'write it as "s3://bucket/prefix"')
        return lambda aws: S3Witness(bucket, prefix, aws)
    if spec.startswith("file:"):
        path = Path(os.path.expanduser(spec[5:]))
        path = path if path.is_absolute() else state_dir() / path
        if path.resolve().is_relative_to(Path(runs_dir).resolve()):
            raise BadInput(f"{origin} {spec} is inside the runs directory", "name a file outside it: a witness must be out of a forger's reach")
        return lambda aws: FileWitness(path)
    raise BadInput(f"{origin} is {spec!r}", 'write it as "s3://bucket/prefix" or "file:PATH"')
