"""Terraform's S3 backend (seed 002): a lock whose holder is gone, a checksum the state no longer matches."""

from datetime import datetime, timezone

from ..units import duration, plural
from . import CRITICAL, OK, WARN, Check


def created(lock: dict) -> datetime | None:
    try:
        return datetime.fromisoformat(lock.get("created", "").replace("Z", "+00:00"))
    except ValueError:
        return None


def last_write(found: dict) -> datetime | None:
    return found["versions"][0]["modified"] if found.get("versions") else None


def stale(found: dict | None, minutes: int) -> list[dict]:
    """The locks held longer than `minutes` with no state write since `minutes` ago: their holder has stopped."""
    if not found:
        return []
    now, written = datetime.now(timezone.utc), last_write(found)
    quiet = written is None or (now - written).total_seconds() > minutes * 60
    return [lock for lock in found["locks"] if (taken := created(lock)) is not None and (now - taken).total_seconds() > minutes * 60 and quiet]


def lock_held(found: dict, minutes: int) -> list[Check]:
    """Seed 002 Scenario 5 "Error acquiring the state lock": who holds it, for how long, and whether their run still writes."""
    path = f"{found['bucket']}/{found['key']}"
    if not found["locks"]:
        return [Check("terraform_state_lock", OK, path, 0, f"no lock older than {minutes} min without a state write",
                      f"No lock held in {found['table']}: Terraform can take it.")]
    now, written = datetime.now(timezone.utc), last_write(found)
    wrote = f"the state was last written {written:%Y-%m-%d %H:%M} UTC ({duration((now - written).total_seconds())} ago)" if written else "the state was never written"
    dead = {lock["lock_id"] for lock in stale(found, minutes)}
    rows = []
    for lock in found["locks"]:
        taken = created(lock)
        if taken is None:
            rows.append(Check("terraform_state_lock", WARN, lock["lock_id"], "unreadable", "a lock as Terraform writes it",
                              f"{lock['lock_id']} is held but its Info is not Terraform's lock JSON: ask who wrote it before releasing it."))
            continue
        age = duration(round((now - taken).total_seconds() / 60) * 60)  # to the minute: a lock's age is read, not timed
        held = (f"held {age} by {lock.get('who') or 'someone unnamed'} ({lock.get('operation') or 'operation unnamed'}, Terraform {lock.get('version') or '?'}, "
                f"lock ID {lock.get('id')})" + (f", noted {lock['info'][:200]!r}" if lock.get("info") else ""))  # -lock-info: a CI job's URL, when the pipeline names it
        if lock["lock_id"] in dead:
            rows.append(Check("terraform_state_lock", CRITICAL, lock["lock_id"], age, f"held under {minutes} min, or the state still written",
                              f"{lock['lock_id']} {held}; {wrote}: the run that took it has stopped. Every plan and apply fails with "
                              "\"Error acquiring the state lock\" until it is released (the guarded release below)."))
        elif (now - taken).total_seconds() > minutes * 60:
            rows.append(Check("terraform_state_lock", WARN, lock["lock_id"], age, f"held under {minutes} min, or the state still written",
                              f"{lock['lock_id']} {held}; {wrote}: its run still writes, a long {lock.get('operation') or 'run'}. Ask {lock.get('who')} before anything."))
        else:
            rows.append(Check("terraform_state_lock", OK, lock["lock_id"], age, f"held under {minutes} min, or the state still written",
                              f"{lock['lock_id']} {held}: a run in progress; wait for it ({wrote})."))
    return rows


def digest(found: dict) -> Check:
    """The checksum Terraform keeps beside the locks against the state object now: a mismatch fails every run
    ("state data in S3 does not have the expected content")."""
    path = f"{found['bucket']}/{found['key']}"
    kept = found["digests"].get(path)
    current = found["versions"][0]["etag"].strip('"') if found.get("versions") else None
    if kept is None or current is None or "-" in (current or ""):  # no checksum kept, or a multipart ETag (not an MD5)
        return Check("terraform_state_digest", OK, path, kept or "none", "the state's MD5", f"{path}: no checksum to compare" + ("." if kept is None else " (multipart upload)."))
    if kept == current:
        return Check("terraform_state_digest", OK, path, kept[:12], "the state's MD5", f"{path}: the checksum kept in {found['table']} matches the state object.")
    return Check("terraform_state_digest", CRITICAL, path, kept[:12], "the state's MD5",
                 f"{path}: {found['table']} keeps checksum {kept} but the state object's is {current}: Terraform refuses it "
                 "(\"state data in S3 does not have the expected content\"). The state was written outside Terraform: "
                 "compare its versions (opslib run terraform-state-restore).")


def history(versions: list[dict], bucket: str, key: str) -> Check:
    """Seed 002 "Terraform State Backups": the current state continues the one before it (same lineage, a serial not below
    any earlier one). A state pushed by hand, from another workspace or an old copy, breaks that; Terraform then plans
    against the wrong world."""
    path = f"s3://{bucket}/{key}"
    if not versions:
        return Check("terraform_state_history", CRITICAL, path, 0, "a state object", f"{path} has no version: Terraform would start from nothing.")
    current, older = versions[0], versions[1:]
    if not current["readable"]:
        return Check("terraform_state_history", CRITICAL, path, current["version"], "a state file",
                     f"{path}'s current version {current['version']} is not a Terraform state (not JSON). {_restore_hint(older)}")
    lineages = {v["lineage"] for v in older if v["readable"]}
    if lineages and current["lineage"] not in lineages:
        return Check("terraform_state_history", CRITICAL, path, current["lineage"], "the lineage of the versions before",
                     f"{path}'s current version {current['version']} has lineage {current['lineage']}, the versions before it {', '.join(sorted(lineages))}: "
                     f"another workspace's state was written here. {_restore_hint(older)}")
    highest = max((v for v in older if v["readable"] and v["serial"] is not None), key=lambda v: v["serial"], default=None)
    if highest is not None and current["serial"] is not None and current["serial"] < highest["serial"]:
        return Check("terraform_state_history", CRITICAL, path, current["serial"], f"serial >= {highest['serial']}",
                     f"{path}'s current version {current['version']} (written {current['modified']:%Y-%m-%d %H:%M} UTC) has serial {current['serial']}, below "
                     f"{highest['serial']} of {highest['version']}: an older state was pushed over a newer one, and Terraform would plan to undo what "
                     f"came between ({_diff_line(current, highest)}). {_restore_hint(older)}")
    return Check("terraform_state_history", OK, path, current["serial"], "same lineage, serial not going back",
                 f"{path}: serial {current['serial']}, lineage {current['lineage']}, {plural(len(current['addresses']), 'resource')}; {plural(len(versions), 'version')} read, the newest "
                 f"written {current['modified']:%Y-%m-%d %H:%M} UTC.")


def _diff_line(a: dict, b: dict) -> str:
    gone, new = sorted(set(b["addresses"]) - set(a["addresses"])), sorted(set(a["addresses"]) - set(b["addresses"]))
    return f"{plural(len(gone), 'resource')} missing from it, {len(new)} it has that {b['version']} does not"


def _restore_hint(older: list[dict]) -> str:
    """The restore that puts the newest sound version back, as a command."""
    best = max((v for v in older if v["readable"] and v["serial"] is not None), key=lambda v: (v["serial"], v["modified"]), default=None)
    return (f"Restore the last sound version (planned first): `opslib run terraform-state-restore -p restore_version={best['version']}`" if best
            else "No earlier sound version was read.")

