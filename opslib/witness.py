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

from .errors import BadInput

CHAINS = ("ledger", "journal")


def state_dir() -> Path:
    return Path(os.environ.get("OPSLIB_STATE_DIR") or Path.home() / ".local" / "state" / "opslib")


def runs_key(runs_dir: Path) -> str:
    """Which runs directory a head belongs to: one witness serves many."""
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

    def points(self, runs_dir: Path) -> list[Point]:
        if not self.path.is_file():
            return []
        key, out = runs_key(runs_dir), []
        for line in self.path.read_text(errors="replace").splitlines():
            try:
                d = json.loads(line)
                if d.get("runs") == key:
                    out.append(Point(d["chain"], int(d["seq"]), str(d["hash"]), d.get("run_id", "")))
            except (ValueError, KeyError, TypeError, AttributeError):
                continue
        return out


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

    def points(self, runs_dir: Path) -> list[Point]:
        s3 = self.aws.client("s3")
        out = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self._base(runs_dir) + "/"):
            for obj in page.get("Contents", []):
                chain, name = obj["Key"].split("/")[-2], obj["Key"].split("/")[-1]
                seq, _, rest = name.partition("-")
                digest, _, run_id = rest.partition("-")
                if chain in CHAINS and seq.isdigit():
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


def compare(chains: dict, points: list[Point], witness: str) -> list[str]:
    """Problems between the chains (name -> {seq: record}) and the heads a witness holds."""
    problems = []
    for name in CHAINS:
        records = chains.get(name, {})
        mine = [p for p in points if p.chain == name]
        if not mine:
            continue
        top = max(mine, key=lambda p: p.seq)
        last = max(records, default=0)
        if last < top.seq:
            problems.append(f"{name} ends at seq {last}; the witness {witness} holds seq {top.seq}"
                            + (f" (run {top.run_id})" if top.run_id else "") + ": records were removed from its end")
        for p in sorted(mine, key=lambda p: p.seq):
            rec = records.get(p.seq)
            if rec is not None and rec.get("hash") != p.hash:
                problems.append(f"{name} seq {p.seq} differs from the witness {witness}: the chain was rewritten from there")
                break
        if name == "ledger":
            for seq in sorted(s for s in records if s > top.seq):
                rec = records[seq]
                if rec.get("kind", "run") == "run":
                    problems.append(f"ledger seq {seq} (run {rec.get('run_id')}) is not in the witness {witness}, which ends at seq {top.seq}: "
                                    "appended behind the witness's back, or the witness was unreachable when it ran")
    return problems


def check(root: Path, loaded: dict, chains: dict, asked: bool) -> tuple[list[str], list[str], list[str]]:
    """Compare the chains with the witness of every loaded environment: (problems, notes, consulted).

    An unreachable witness, or one that holds no head of this runs directory, is a problem only when
    that environment has runs here or was asked for by name (`verify --env`)."""
    problems, notes, consulted = [], [], []
    runs = [r for r in chains["ledger"].values() if r.get("kind", "run") == "run"]
    for env, data in loaded.items():
        try:
            make = for_environment(env, data, root)
        except BadInput as exc:
            if asked:
                raise
            notes.append(f"witness of {env} not consulted: {exc}")
            continue
        if make is None:
            continue
        has_runs = asked or any(r.get("env") == env for r in runs)
        try:
            found = make()
            points = found.points(root)
        except Exception as exc:  # unreachable
            if has_runs:
                problems.append(f"witness of {env} could not be read: {type(exc).__name__}: {str(exc)[:160]}")
            continue
        consulted.append(f"{found.name} ({len(points)} head(s))")
        if not points and any(r.get("env") == env for r in runs):
            problems.append(f"the witness {found.name} holds no head of this runs directory, though it holds {env} runs: "
                            "the directory was moved or copied here, or its heads were never witnessed")
        problems += compare(chains, points, found.name)
    return problems, notes, consulted
