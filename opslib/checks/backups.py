"""Backups judged by what each allows: how much would be lost restoring now (against seed 004's RPO of 15 minutes),
and whether the daily ones are there (seed 001 "Backup Verification", seed 003 "Database Backup Verification")."""

from datetime import datetime, timedelta, timezone

from ..units import duration, plural
from . import CRITICAL, OK, Check


def _ago(t: datetime) -> str:
    return duration((datetime.now(timezone.utc) - t).total_seconds())


def _by(changes: list[dict] | None, resource: str) -> str:
    """`, turned off 2026-12-03 10:31 UTC by arn:...` from CloudTrail, when it shows who."""
    last = [c for c in changes or [] if c["resource"] == resource]
    return f" (turned off {last[-1]['when']:%Y-%m-%d %H:%M} UTC by {last[-1]['who']}, {last[-1]['call']})" if last else ""


def dynamodb(found: list[dict], rpo_minutes: int, max_age_hours: int, changes: list[dict] | None = None) -> list[Check]:
    """Point-in-time recovery allows a restore to any second up to ~5 minutes ago; without it, the newest on-demand
    backup is all there is, and everything written since would be lost."""
    rows, now = [], datetime.now(timezone.utc)
    for t in found:
        pitr, newest = t["pitr"], (t["backups"][0] if t["backups"] else None)
        kept = (f"; {len(t['backups'])} on-demand backups, the newest {newest['BackupName']} taken {_ago(newest['BackupCreationDateTime'])} ago"
                if newest else "; no on-demand backup")
        if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
            latest, earliest = pitr.get("LatestRestorableDateTime"), pitr.get("EarliestRestorableDateTime")
            lag = (now - latest).total_seconds() if latest else None
            status = OK if lag is not None and lag <= rpo_minutes * 60 else CRITICAL
            rows.append(Check("dynamodb_backup_rpo", status, t["table"], duration(lag) if lag is not None else "none", f"restorable within {rpo_minutes} min (seed 004's RPO)",
                              f"{t['table']}: point-in-time recovery on, restorable to any second from {earliest:%Y-%m-%d %H:%M} to {latest:%H:%M} UTC "
                              f"(at most {duration(lag)} of writes lost){kept}." if latest and earliest else f"{t['table']}: point-in-time recovery on, but no restorable window{kept}."))
            continue
        lost = (now - newest["BackupCreationDateTime"]).total_seconds() if newest else None
        fix = (f"Turn it on: `aws dynamodb update-continuous-backups --table-name {t['table']} --point-in-time-recovery-specification "
               f"PointInTimeRecoveryEnabled=true --region {t['region']}`")
        rows.append(Check("dynamodb_backup_rpo", CRITICAL, t["table"], duration(lost) if lost is not None else "everything", f"restorable within {rpo_minutes} min (seed 004's RPO)",
                          f"{t['table']}: point-in-time recovery is OFF{_by(changes, t['table'])}{kept}: a restore now loses "
                          f"{'up to ' + duration(lost) if lost is not None else 'everything'} of writes, against an RPO of {rpo_minutes} minutes. {fix}."))
        if newest is None or lost > max_age_hours * 3600:
            rows.append(Check("dynamodb_backup_age", CRITICAL, t["table"], duration(lost) if lost else "none", f"a backup within {max_age_hours} h",
                              f"{t['table']}: no on-demand backup within {max_age_hours} hours either."))
    return rows


def rds(found: list[dict], rpo_minutes: int, max_age_hours: int, changes: list[dict] | None = None) -> list[Check]:
    """Automated backups on (retention above 0) give point-in-time restore to ~5 minutes ago and a snapshot a day; off,
    AWS deletes the automated snapshots and only manual ones are left."""
    rows, now = [], datetime.now(timezone.utc)
    for db in found:
        name, auto, manual = db["db"], db["automated"], db["manual"]
        by_hand = f"; the newest manual snapshot {manual[0]['DBSnapshotIdentifier']} is {_ago(manual[0]['SnapshotCreateTime'])} old" if manual else "; no manual snapshot"
        if not db["retention_days"]:
            rows.append(Check("rds_backup_rpo", CRITICAL, name, "backups off", f"restorable within {rpo_minutes} min (seed 004's RPO)",
                              f"{name}: automated backups are OFF (backup retention 0){_by(changes, name)}: no point-in-time restore and no daily snapshot (AWS deleted the "
                              f"automated ones when they were turned off){by_hand}. Turn them on: `aws rds modify-db-instance --db-instance-identifier "
                              f"{name} --backup-retention-period 7 --apply-immediately --region {db['region']}`."))
            continue
        latest = db["latest_restorable"]
        lag = (now - latest).total_seconds() if latest else None
        rows.append(Check("rds_backup_rpo", OK if lag is not None and lag <= rpo_minutes * 60 else CRITICAL, name, duration(lag) if lag is not None else "none",
                          f"restorable within {rpo_minutes} min (seed 004's RPO)",
                          f"{name}: automated backups kept {db['retention_days']} days; restorable to {latest:%Y-%m-%d %H:%M} UTC (at most {duration(lag)} of writes lost)."
                          if latest else f"{name}: automated backups on, but no restorable time: a restore to a point in time is not possible now."))
        newest = auto[0] if auto else None
        age = (now - newest["SnapshotCreateTime"]).total_seconds() if newest else None
        if newest is None or age > max_age_hours * 3600:
            rows.append(Check("rds_snapshot_daily", CRITICAL, name, duration(age) if age else "none", f"an automated snapshot within {max_age_hours} h",
                              f"{name}: " + (f"the newest automated snapshot {newest['DBSnapshotIdentifier']} is {duration(age)} old" if newest else "no automated snapshot")
                              + f" (seed 003 expects one a day){by_hand}."))
        else:
            rows.append(Check("rds_snapshot_daily", OK, name, duration(age), f"an automated snapshot within {max_age_hours} h",
                              f"{name}: {plural(len(auto), 'automated snapshot')}, the newest {newest['DBSnapshotIdentifier']} taken {duration(age)} ago."))
    return rows


def versioning(found: list[dict]) -> list[Check]:
    """A bucket that holds what must be recoverable keeps its versions (seed 001 "S3 Backup Verification")."""
    return [Check("s3_versioning", OK if b["status"] == "Enabled" else CRITICAL, b["bucket"], b["status"], "Enabled",
                  f"{b['bucket']}: versioning {b['status']}" + ("." if b["status"] == "Enabled" else
                  f": an overwrite or delete cannot be undone. `aws s3api put-bucket-versioning --bucket {b['bucket']} --versioning-configuration Status=Enabled`."))
            for b in found]


def dumps(found: dict, max_age_hours: int) -> Check:
    """Seed 004's nightly dumps: the newest within a day, and no night missing in the window read."""
    where = f"s3://{found['bucket']}/{found['prefix']}"
    objects = found["objects"]
    if not objects:
        return Check("backup_dumps_nightly", CRITICAL, where, "none", f"a dump within {max_age_hours} h", f"{where}: no dump in the last {found['days']} days.")
    newest = max(objects, key=lambda o: o["LastModified"])
    age = (datetime.now(timezone.utc) - newest["LastModified"]).total_seconds()
    nights = {o["Key"][len(found["prefix"]):][:10] for o in objects}
    first, now = min(nights), datetime.now(timezone.utc)
    written = newest["LastModified"].hour * 60 + newest["LastModified"].minute
    tonight = now.hour * 60 + now.minute > written + 120  # tonight's is due two hours after the time the job writes
    expected = [str(now.date() - timedelta(days=d)) for d in range(found["days"], -1 if tonight else 0, -1) if str(now.date() - timedelta(days=d)) >= first]
    missing = [n for n in expected if n not in nights]
    said = f"{where}: the newest dump {newest['Key']} was written {duration(age)} ago"
    if age > max_age_hours * 3600 or missing:
        return Check("backup_dumps_nightly", CRITICAL, where, duration(age), f"a dump within {max_age_hours} h, every night",
                     f"{said}; {'no dump for ' + ', '.join(missing) if missing else 'none since'}: the nightly dump job has not written since.")
    return Check("backup_dumps_nightly", OK, where, duration(age), f"a dump within {max_age_hours} h, every night", f"{said}; one every night for the last {len(expected)} nights.")


def state_versions(found: dict) -> Check:
    """Seed 002: S3 versioning is the Terraform state's backup: more than one version to go back to."""
    where, versions = f"s3://{found['bucket']}/{found['key']}", found["versions"]
    if len(versions) < 2:
        return Check("terraform_state_versions", CRITICAL, where, len(versions), "2 or more versions", f"{where}: {len(versions)} version: nothing earlier to restore.")
    return Check("terraform_state_versions", OK, where, len(versions), "2 or more versions",
                 f"{where}: {len(versions)}+ versions kept, the newest written {_ago(versions[0]['LastModified'])} ago (opslib run terraform-state-restore lists and restores them).")
