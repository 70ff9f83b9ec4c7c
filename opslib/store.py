"""One evidence store for a team: every run filed on any machine also goes to S3 (`evidence: {store: s3://bucket/prefix}`
in the environment file), in one chain across machines, so a reviewer on any laptop reads every responder's runs, verified.

Under the prefix:
- `YYYY/MM/DD/<notebook>__<env>__<time>__<run>.ipynb` and `.html`: each run's files, at the path they have in its runs
  directory (written once: `If-None-Match: *`, so nothing is uploaded twice);
- `chain/<seq>.json`: the team's chain, one object per record (a run's ledger record, the journal's records, incident
  records), each naming the machine that filed it, with its hash and the hash of the one before. A record takes the next
  position by a conditional write (`If-None-Match: *`): two machines appending at once never fork the chain; the one that
  loses reads the winner's record and takes the position after it. `chain/HEAD.json` says where the end was last seen, so
  finding the end is one GET and one LIST of what came since, whatever the store holds.

Offline: records wait in the runs directory (`.store/<store>.json` says how far each chain was sent) and go with the next
command naming the environment; a record sent by a later command than its run's is marked `late`. Readers (`history`,
`verify`, `report` with `--env`) copy what is new in the store into a runs directory of its own under `.store/` and read it.
"""

import fcntl
import hashlib
import heapq
import json
import os
import re
import socket
from contextlib import contextmanager
from pathlib import Path

from . import filing
from .errors import BadInput
from .ledger import _digest as digest  # a store record is hashed as a chain's record is (it has no mac)
from .ledger import _now

CHAINS = ("incidents", "ledger", "journal")  # sent in time order; within a second in this order (an incident record before its journal anchor)
GENESIS = "0" * 64
MAX_TRIES = 500  # positions taken by others in a row before an append gives up (its records then wait, as offline)
BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
SEQ_DIGITS = 12


class StoreError(Exception):
    """The store cannot be used now (unreachable, denied, throttled, no versioning): the run stays filed here."""


def parse_url(spec, origin: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket/prefix`; anything else is bad input, before AWS is asked anything."""
    bucket, _, prefix = spec[5:].partition("/") if isinstance(spec, str) and spec.startswith("s3://") else ("", "", "")
    if not BUCKET.fullmatch(bucket):
        raise BadInput(f"{origin} is {str(spec)[:80]!r}", 'write it as "s3://bucket/prefix": an S3 bucket with versioning and Object Lock')
    return bucket, prefix.strip("/")


def for_environment(env: str, env_data: dict, runs_dir: Path):
    """None, or a callable making the environment's store for this runs directory (its URL checked now)."""
    spec = (env_data.get("evidence") or {}).get("store")
    if not spec:
        return None
    bucket, prefix = parse_url(spec, f"parameters/{env}.yaml evidence.store")

    def make() -> "Store":
        from .aws import Aws, AwsSettings

        return Store(bucket, prefix, Aws(AwsSettings.from_env_file(env_data, user_agent="opslib/store", targeted=False)), Path(runs_dir), env)

    return make


def team_evidence(aws, env: str, env_data: dict, evidence, incident_id: str = ""):
    """Where to read an incident's runs from: when the environment names a store, every machine's (this machine's copy
    of the store, after sending what waits here; `aws` unused: the store is the environment's home account's), else
    `evidence`. A store out of reach raises StoreError (the notebook's row says why; it reads this machine's then).
    `incident_id`: only what reached the store from a little before its day is copied."""
    from .ledger import Evidence

    made = for_environment(env, env_data, evidence.root)
    if made is None:
        return evidence
    store = made()
    store.send(evidence, os.environ.get("OPSLIB_RUN_ID", ""))
    root, _ = store.mirror(incident_since(incident_id))  # a gap or a broken link is `opslib verify --env`'s to name
    return Evidence(root)


def incident_copy(made, runs_dir: Path):
    """None (`made`, for_environment's, is None: no store named), or a callable giving this machine's copy of the store
    brought up to an incident's records, for a notebook's input check on a machine that never saw the incident (nothing
    is sent from here)."""
    if made is None:
        return None

    def copy(incident_id: str):
        from .ledger import Evidence

        store = made()
        try:
            root, _ = store.mirror(incident_since(incident_id))
        except StoreError as exc:
            raise BadInput(f"no incident {incident_id} in {Path(runs_dir) / 'incidents.jsonl'}, and the team's store {store.url} could not be read ({exc})",
                           "run it again once the store can be read, or on the machine that declared it") from None
        return Evidence(root)

    return copy


def incident_since(incident_id: str) -> str:
    """From when an incident's records can be in the store: two days before the day in its id (its timeline looks back
    before the declaration); "" (everything) for no id or one not of the form INC-YYYY-MMDD-NNN."""
    from datetime import date, timedelta

    m = re.fullmatch(r"INC-(\d{4})-(\d{2})(\d{2})-\d{3,}", incident_id or "")
    try:
        return (date(int(m[1]), int(m[2]), int(m[3])) - timedelta(days=2)).isoformat() if m else ""
    except ValueError:
        return ""


def _when(record: dict) -> str:
    return str(record.get("finished") or record.get("at") or record.get("started") or "")


@contextmanager
def _locked(path: Path):
    """One sender (or mirror) at a time per runs directory and store: the runs of a batch and other commands wait."""
    filing.make_dirs(path.parent)
    with filing.open_append(path) as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


class Store:
    def __init__(self, bucket: str, prefix: str, aws, runs_dir: Path, env: str = ""):
        from .witness import runs_key

        self.bucket, self.prefix, self.aws, self.runs_dir, self.env = bucket, prefix, aws, Path(runs_dir), env
        self.verify_command = f"opslib verify --env {env}" if env else "opslib verify --env <the environment naming this store>"
        self.url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        self.name = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        self.folder = self.runs_dir / ".store"
        self.machine = runs_key(self.runs_dir)
        self.witness_key = f"store-{self.name}"  # every machine's heads of this store, under one key in a shared witness
        self.head: tuple[int, str] | None = None  # where the last send left the chain's end
        self._checked = False

    # -- keys and plain reads

    def key(self, rel: str) -> str:
        return f"{self.prefix}/{rel}" if self.prefix else rel

    def chain_key(self, seq: int) -> str:
        return self.key(f"chain/{seq:0{SEQ_DIGITS}d}.json")

    @property
    def s3(self):
        return self.aws.client("s3")

    def _get(self, key: str) -> bytes | None:
        from botocore.exceptions import ClientError

        try:
            return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise

    def _entry(self, seq: int) -> dict | None:
        body = self._get(self.chain_key(seq))
        try:
            entry = json.loads(body) if body is not None else None
        except ValueError:
            return {"seq": seq, "unreadable": True}
        return entry if isinstance(entry, dict) else {"seq": seq, "unreadable": True}

    def _listed(self, after: int) -> list[int]:
        """The positions in the store past `after`, from one LIST (paginated) starting there."""
        start = {"StartAfter": self.chain_key(after)} if after else {}
        found = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.key("chain/"), **start):
            for obj in page.get("Contents", []):
                name = obj["Key"].rsplit("/", 1)[-1]
                if len(name) == SEQ_DIGITS + 5 and name[:SEQ_DIGITS].isdigit() and name.endswith(".json"):
                    found.append(int(name[:SEQ_DIGITS]))
        return sorted(found)

    def check_bucket(self) -> None:
        if self._checked:
            return
        status = self.s3.get_bucket_versioning(Bucket=self.bucket).get("Status")
        if status != "Enabled":
            raise StoreError(f"bucket {self.bucket} has no versioning (a deleted or overwritten record would be gone): "
                             f"aws s3api put-bucket-versioning --bucket {self.bucket} --versioning-configuration Status=Enabled")
        self._checked = True

    # -- sending

    @property
    def _state_path(self) -> Path:
        return self.folder / f"{self.name}.json"

    def _state(self) -> dict:
        try:
            state = json.loads(self._state_path.read_text())
        except (OSError, ValueError):
            state = {}
        if not isinstance(state, dict) or state.get("url") != self.url:
            state = {"url": self.url}
        state.setdefault("sent", {})
        return state

    def _save(self, state: dict) -> None:
        filing.write_text(self._state_path, json.dumps(state, sort_keys=True))

    def waiting(self, evidence) -> int:
        """How many of this runs directory's records the store does not have yet."""
        state = self._state()
        return sum(len(getattr(evidence, chain).after(int(state["sent"].get(chain, 0)))) for chain in CHAINS)

    def send(self, evidence, run_id: str = "") -> int:
        """Every record of this runs directory not in the store yet, oldest first, with the files its runs filed; how many.
        `run_id`: the run being filed now (its records are on time; any others are late)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            with _locked(self.folder / f"{self.name}.lock"):
                state = self._state()
                self._landed(state)
                sent = state["sent"]
                pending = list(heapq.merge(*[[(chain, rec) for rec in getattr(evidence, chain).after(int(sent.get(chain, 0)))] for chain in CHAINS],
                                           key=lambda item: _when(item[1])))
                if not pending:
                    return 0
                self.check_bucket()
                head = self._end(state)
                try:
                    for chain, record in pending:
                        self._send_files(evidence, record)
                        head = self._append(head, state, chain, record, late=not run_id or record.get("run_id") != run_id)
                        sent[chain], state["head"] = record["seq"], list(head)  # saved with the next record's attempt (one write a record)
                        state.pop("trying", None)
                finally:  # and when the store goes away midway: what went is known here
                    self._save(state)
                self._put_hint(head)
                self.head = head
                return len(pending)
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(_reason(exc)) from None

    def _landed(self, state: dict) -> None:
        """A record whose write may have landed before this process (or an earlier one) stopped: sent, if it did."""
        trying = state.get("trying")
        if not isinstance(trying, dict):
            return
        entry = self._entry(int(trying.get("seq", 0)))
        record = (entry or {}).get("record") or {}
        if entry and entry.get("machine") == self.machine and entry.get("chain") == trying.get("chain") and record.get("seq") == trying.get("local"):
            state["sent"][trying["chain"]], state["head"] = record["seq"], [entry["seq"], entry["hash"]]
        state.pop("trying", None)

    def _end(self, state: dict) -> tuple[int, str]:
        """The chain's last position and hash: from what this machine last saw or the hint, whichever is further, then
        one LIST of anything after it."""
        mine = state.get("head") or [0, GENESIS]
        seq = int(mine[0])
        hint = self._get(self.key("chain/HEAD.json"))
        try:
            seq = max(seq, int(json.loads(hint)["seq"])) if hint else seq
        except (ValueError, KeyError, TypeError):
            pass
        later = self._listed(seq)
        last = later[-1] if later else seq
        if last == int(mine[0]):  # nothing since this machine's own last record: its hash is known
            return last, str(mine[1]) if last else GENESIS
        entry = self._entry(last)
        if entry is None or entry.get("unreadable") or "hash" not in entry:  # a hint past the end, or a record gone: look from the start
            later = self._listed(0)
            if not later:
                return 0, GENESIS
            entry = self._entry(later[-1]) or {}
        if "hash" not in entry:
            raise StoreError(f"the chain's last record in {self.url} is unreadable: run `{self.verify_command}`")
        return int(entry["seq"]), str(entry["hash"])

    def _append(self, head: tuple[int, str], state: dict, chain: str, record: dict, late: bool) -> tuple[int, str]:
        from botocore.exceptions import ClientError

        seq, prev = head
        for _ in range(MAX_TRIES):
            entry = {"seq": seq + 1, "prev": prev, "chain": chain, "machine": self.machine, "host": socket.gethostname(),
                     "record": record, "stored_at": _now(), "late": late}
            entry["hash"] = digest(entry)
            state["trying"] = {"seq": seq + 1, "chain": chain, "local": record["seq"]}
            self._save(state)
            try:
                self.s3.put_object(Bucket=self.bucket, Key=self.chain_key(seq + 1), Body=json.dumps(entry, sort_keys=True).encode(),
                                   IfNoneMatch="*", ContentType="application/json")
                return seq + 1, entry["hash"]
            except ClientError as exc:
                if not _taken(exc):
                    raise
            taken = self._entry(seq + 1) or {}
            seq, prev = seq + 1, str(taken.get("hash") or "")
        raise StoreError(f"the chain's end moved {MAX_TRIES} times while this machine tried to append")

    def _send_files(self, evidence, record: dict) -> None:
        from botocore.exceptions import ClientError

        for rel, _ in _files(record):
            path = evidence.inside(rel)
            if path is None or not path.is_file():
                continue
            try:
                self.s3.put_object(Bucket=self.bucket, Key=self.key(rel), Body=path.read_bytes(), IfNoneMatch="*")
            except ClientError as exc:
                if not _taken(exc):  # there already: sent before this machine stopped
                    raise

    def put_report(self, archive: Path) -> str:
        """A report's zip under `reports/`, named by when it was made (a report made again is a new one); its URL."""
        from datetime import datetime, timezone

        from botocore.exceptions import BotoCoreError, ClientError

        key = self.key(f"reports/{archive.stem}__{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}.zip")
        try:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=archive.read_bytes(), IfNoneMatch="*", ContentType="application/zip")
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(_reason(exc)) from None
        return f"s3://{self.bucket}/{key}"

    def _put_hint(self, head: tuple[int, str]) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=self.key("chain/HEAD.json"), Body=json.dumps({"seq": head[0], "hash": head[1], "at": _now()}).encode(),
                           ContentType="application/json")

    # -- reading

    def entries(self, after: int = 0) -> tuple[list[dict], list[int]]:
        """The store's records past `after`, in order, and the positions missing among them."""
        from .aws import at_once

        listed = self._listed(after)
        missing = sorted(set(range(after + 1, listed[-1] + 1)) - set(listed)) if listed else []
        found = []
        for i in range(0, len(listed), 64):
            found += at_once(lambda seq=seq: self._entry(seq) for seq in listed[i:i + 64])
        return [e for e in found if e is not None], missing

    def mirror(self, since: str = "") -> tuple[Path, list[str]]:
        """What the store holds, copied into a runs directory of its own (`.store/<name>/`): only what is new since the
        last copy, and with `since` (an ISO time) only what reached the store from an hour before it (a search by
        halves over the positions, not a LIST of the store). A copy that starts later than asked is made again.
        Returns its root and the problems met (a broken link, a missing record, a file that does not match)."""
        import shutil

        from botocore.exceptions import BotoCoreError, ClientError

        from .ledger import Evidence

        root = self.folder / self.name
        try:
            with _locked(self.folder / f"{self.name}.mirror.lock"):
                where = root / ".pulled.json"
                try:
                    at = json.loads(where.read_text())
                except (OSError, ValueError):
                    at = None
                if at is not None and at.get("from", 1) > 1 and (not since or since < at.get("since", "")):
                    shutil.rmtree(root, ignore_errors=True)  # it starts after what is asked for now
                    at = None
                if at is None:
                    start = self._position_since(since) if since else 1
                    before = self._entry(start - 1) if start > 1 else None
                    at = {"seq": start - 1, "hash": (before or {}).get("hash", GENESIS), "from": start, "since": since}
                filing.make_dirs(root)
                copy = Evidence(root)
                entries, missing = self.entries(int(at["seq"]))
                problems = [f"{self.url}: chain record {seq} is missing (`{self.verify_command}` says whether it was deleted)" for seq in missing]
                for entry in entries:
                    problems += _link_problems(entry, at["hash"], self.url)
                    if not entry.get("unreadable") and entry.get("chain") in CHAINS and isinstance(entry.get("record"), dict):
                        problems += self._file_problems(entry["record"], copy)
                        _copy(entry, copy, at.setdefault("incidents", {}))
                    at.update(seq=entry["seq"], hash=entry.get("hash", ""))
                    filing.write_text(where, json.dumps(at))
                if entries:  # its index built now (a reader is not told a copy just made had none) and its pages written
                    from .evidence_index import Index
                    from .report import write_index

                    days = {str(e["record"].get("started", ""))[:10]: e["record"].get("run_id", "") for e in entries
                            if e.get("chain") == "ledger" and isinstance(e.get("record"), dict)}
                    with Index.open(copy) as index:
                        for run_id in days.values() or [""]:
                            write_index(copy, run_id, index)
                return root, problems
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(_reason(exc)) from None

    def _file_problems(self, record: dict, copy=None) -> list[str]:
        """Each file the record names, read from the store and checked against the SHA-256 it holds; with `copy` (an
        Evidence), written into it too (a file it already has is not read again)."""
        problems = []
        for rel, sha in _files(record):
            path = copy.inside(rel) if copy is not None else None
            if copy is not None and (path is None or path.is_file()):
                continue
            body = self._get(self.key(rel))
            if body is None:
                problems.append(f"{self.url}: {rel} (run {record.get('run_id')}) is not in the store")
            elif sha and hashlib.sha256(body).hexdigest() != sha:
                problems.append(f"{self.url}: {rel} (run {record.get('run_id')}) does not match its record's sha256")
            elif path is not None:
                filing.write_text(path, body.decode("utf-8", "replace"))
        return problems

    def verify(self, keys: dict | None = None, witness=None) -> tuple[list[str], int]:
        """The whole store read again: every position present (a deleted record named, with its delete marker), every
        link and hash, each machine's records in their own order with none left out, every file against its record, no
        object written twice, and every head of it a witness saw still there."""
        from botocore.exceptions import BotoCoreError, ClientError

        from .aws import at_once

        try:
            entries, missing = self.entries(0)
            problems = [self._why_missing(seq) for seq in missing] + _order_problems(entries, set(missing), keys or {}, self.url) + self._rewritten()
            for found in at_once(lambda record=e["record"]: self._file_problems(record) for e in entries if isinstance(e.get("record"), dict)):
                problems += found
            if witness is not None:
                problems += self._unwitnessed(entries, witness)
            return problems, len(entries)
        except (BotoCoreError, ClientError) as exc:
            raise StoreError(_reason(exc)) from None

    def _unwitnessed(self, entries: list[dict], witness) -> list[str]:
        """Each head of the store a witness saw (every machine records the end it left) must still be there as it was: a
        history rewritten whole, old versions removed too, is found here."""
        held = {e.get("seq"): e.get("hash") for e in entries}
        return [f"{self.url}: chain record {p.seq} is not what {witness.name} saw after run {p.run_id} "
                f"({'gone' if p.seq not in held else 'rewritten'}): the store's history was changed"
                for p in witness.points(self.witness_key, chains=("store",)) if held.get(p.seq) != p.hash]

    def _rewritten(self) -> list[str]:
        """Every object written more than once: records and files are written once (If-None-Match), so a second version
        is someone's rewrite, however consistent its hashes; versioning keeps the first, and this names it."""
        versions: dict[str, list[dict]] = {}
        for page in self.s3.get_paginator("list_object_versions").paginate(Bucket=self.bucket, Prefix=self.key("")):
            for v in page.get("Versions", []):
                versions.setdefault(v["Key"], []).append(v)
        problems = []
        for key, found in sorted(versions.items()):
            if len(found) < 2 or key == self.key("chain/HEAD.json"):  # the hint is rewritten at every send
                continue
            first, last = min(found, key=lambda v: v["LastModified"]), max(found, key=lambda v: v["LastModified"])
            problems.append(f"{self.url}: {key} was rewritten at {last['LastModified']:%Y-%m-%d %H:%M} UTC ({len(found)} versions); the one first written: "
                            f"aws s3api get-object --bucket {self.bucket} --key {key} --version-id {first['VersionId']} first-written")
        return problems

    def _position_since(self, since: str) -> int:
        """The first position whose record reached the store after `since` less an hour (machines' clocks differ), found
        by halves: about twenty GETs for a million records. Positions are in the order records reached the store."""
        from datetime import datetime, timedelta

        edge = (datetime.fromisoformat(since) - timedelta(hours=1)).isoformat(timespec="seconds")
        hint = self._get(self.key("chain/HEAD.json"))
        try:
            end = int(json.loads(hint)["seq"]) if hint else 0
        except (ValueError, KeyError, TypeError):
            end = 0
        later = self._listed(end)
        lo, hi = 1, (later[-1] if later else end) + 1
        while lo < hi:
            mid = (lo + hi) // 2
            stored = str((self._entry(mid) or {}).get("stored_at", ""))
            if stored and stored >= edge:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _why_missing(self, seq: int) -> str:
        versions = self.s3.list_object_versions(Bucket=self.bucket, Prefix=self.chain_key(seq))
        marker = next((m for m in versions.get("DeleteMarkers", []) if m["Key"] == self.chain_key(seq)), None)
        kept = [v for v in versions.get("Versions", []) if v["Key"] == self.chain_key(seq)]
        if marker is not None and kept:
            until = self.s3.head_object(Bucket=self.bucket, Key=self.chain_key(seq), VersionId=kept[0]["VersionId"]).get("ObjectLockRetainUntilDate")
            held = f" (Object Lock keeps it until {until:%Y-%m-%d}: deleted before its retention)" if until else ""
            return (f"{self.url}: chain record {seq} was deleted at {marker['LastModified']:%Y-%m-%d %H:%M} UTC (a delete marker); its version is "
                    f"still kept{held}: bring it back by removing the marker: aws s3api delete-object --bucket {self.bucket} --key {self.chain_key(seq)} "
                    f"--version-id {marker['VersionId']}")
        if marker is not None:
            return f"{self.url}: chain record {seq} was deleted at {marker['LastModified']:%Y-%m-%d %H:%M} UTC, and no version of it is left"
        return f"{self.url}: chain record {seq} is missing, and no version of it is kept"


def _copy(entry: dict, copy, incidents: dict) -> None:
    """One store record into the copy's chain of its kind, re-chained there (each machine's seqs would collide) with
    where it came from in `origin`. An incident record's anchor in the journal is pointed at its copy (`incidents`:
    "machine:seq" -> [seq, hash] in the copy), so the copy verifies as any runs directory does."""
    from .incidents import ANCHOR

    record, machine = entry["record"], entry.get("machine", "")
    kept = {k: v for k, v in record.items() if k not in ("seq", "prev", "hash", "mac")}
    kept["origin"] = {"host": entry.get("host", ""), "machine": machine, "seq": record.get("seq"), "hash": record.get("hash"),
                      "store_seq": entry["seq"], "stored_at": entry.get("stored_at", ""), "late": bool(entry.get("late"))}
    if entry["chain"] == "journal" and record.get("kind") == ANCHOR and f"{machine}:{record.get('incident_seq')}" in incidents:
        kept["incident_seq"], kept["incident_hash"] = incidents[f"{machine}:{record.get('incident_seq')}"]
    written = getattr(copy, entry["chain"]).append(kept)
    if entry["chain"] == "incidents":
        incidents[f"{machine}:{record.get('seq')}"] = [written["seq"], written["hash"]]


def _files(record: dict) -> list[tuple[str, str]]:
    """The files a record names, each with the SHA-256 it holds: a run's notebook and HTML (ledger), a post-mortem draft
    (its incident record)."""
    named = ((record.get("output"), record.get("output_sha256")), (record.get("html"), record.get("html_sha256")), (record.get("path"), record.get("sha256")))
    return [(rel, str(sha or "")) for rel, sha in named if isinstance(rel, str) and rel]


def _order_problems(entries: list[dict], gone: set, keys: dict, url: str) -> list[str]:
    """Links and hashes of the store's chain, each record's own hash, and each machine's records in their own order
    with none left out or twice; what follows a missing position is not blamed for it (the gap is named once)."""
    problems, prev, last = [], GENESIS, {}
    for entry in entries:
        after_gap = entry.get("seq", 0) - 1 in gone
        problems += [p for p in _link_problems(entry, prev, url) if not (after_gap and "does not follow" in p)]
        prev = entry.get("hash", "")
        record = entry.get("record") if isinstance(entry.get("record"), dict) else {}
        if not record:
            continue
        key = keys.get(record.get("env"))
        if digest(record, key) != record.get("hash") and not (record.get("mac") and key is None):
            problems.append(f"{url}: chain record {entry['seq']} holds a {entry.get('chain')} record whose own hash does not match (edited)")
        mine = (entry.get("machine"), entry.get("chain"))
        before = last.get(mine)
        skipped = before is not None and any(seq in gone for seq in range(before[2] + 1, entry["seq"]))
        if before is not None and not skipped and (record.get("seq") != before[0] + 1 or record.get("prev") != before[1]):
            problems.append(f"{url}: {entry.get('host')}'s {entry.get('chain')} goes from seq {before[0]} to {record.get('seq')} "
                            f"at chain record {entry['seq']} (a record left out, or sent twice)")
        last[mine] = (record.get("seq"), record.get("hash"), entry["seq"])
    return problems


def _link_problems(entry: dict, prev: str, url: str) -> list[str]:
    if entry.get("unreadable"):
        return [f"{url}: chain record {entry['seq']} is not a record (unreadable)"]
    problems = []
    if entry.get("prev") != prev:
        problems.append(f"{url}: chain record {entry['seq']} does not follow the one before it (its prev is not that record's hash)")
    if digest(entry) != entry.get("hash"):
        problems.append(f"{url}: chain record {entry['seq']} was changed after it was written (its hash does not match)")
    return problems


def _taken(exc) -> bool:
    """S3's answer to a conditional write whose key exists (412), or that raced another (409)."""
    error = exc.response.get("Error", {})
    return error.get("Code") in ("PreconditionFailed", "ConditionalRequestConflict") or exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") in (409, 412)


def _reason(exc) -> str:
    from .checks import fault_reason

    code, message = fault_reason(exc)
    return f"{code}: {message[:160]}"
