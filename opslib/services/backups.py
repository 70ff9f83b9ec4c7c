"""What each backup allows: DynamoDB point-in-time recovery and on-demand backups (seed 001 "Backup Verification"), RDS
automated backups (seed 003 "Database Backup Verification"), versioned buckets, and seed 004's nightly dumps."""

from datetime import datetime, timedelta, timezone

from ..aws import at_once


def dynamodb_tables(aws, region: str, tables: list[str]) -> list[dict]:
    """`aws dynamodb describe-continuous-backups` and `list-backups` of each table, at once."""
    ddb = aws.at(region).client("dynamodb")

    def one(table):
        pitr, listed = at_once([lambda: ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"],
                                lambda: [b for page in ddb.get_paginator("list_backups").paginate(TableName=table) for b in page["BackupSummaries"]]])
        return {"table": table, "region": region, "pitr": pitr.get("PointInTimeRecoveryDescription", {}),
                "backups": sorted(listed, key=lambda b: b["BackupCreationDateTime"], reverse=True)}

    return at_once([lambda t=t: one(t) for t in tables])


def rds_instances(aws, region: str, instances: list[str]) -> list[dict]:
    """`aws rds describe-db-instances` (retention, LatestRestorableTime) and `describe-db-snapshots --snapshot-type
    automated` / `manual` of each instance, at once."""
    rds = aws.at(region).client("rds")

    def snapshots(db, kind):
        pages = rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=db, SnapshotType=kind)
        return sorted((s for page in pages for s in page["DBSnapshots"]), key=lambda s: s.get("SnapshotCreateTime") or datetime.min.replace(tzinfo=timezone.utc), reverse=True)

    def one(db):
        (inst,), automated, manual = at_once([lambda: rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"],
                                              lambda: snapshots(db, "automated"), lambda: snapshots(db, "manual")])
        return {"db": db, "region": region, "retention_days": inst.get("BackupRetentionPeriod", 0), "latest_restorable": inst.get("LatestRestorableTime"),
                "window": inst.get("PreferredBackupWindow", ""), "automated": automated, "manual": manual}

    return at_once([lambda d=d: one(d) for d in instances])


def versioning(aws, buckets: list[str]) -> list[dict]:
    """`aws s3api get-bucket-versioning` of each bucket, at once."""
    s3 = aws.client("s3")
    return at_once([lambda b=b: {"bucket": b, "status": s3.get_bucket_versioning(Bucket=b).get("Status", "Disabled")} for b in buckets])


def dumps(aws, region: str, bucket: str, prefix: str, days: int) -> dict:
    """Seed 004's nightly dumps under `<prefix><YYYY-MM-DD>/`: only the last `days` days are listed (keys sort by date, so
    StartAfter skips the years before), and `latest/`'s object (seed 004: `aws s3 ls s3://backups-incident-response/latest/`)."""
    s3 = aws.at(region).client("s3")
    since = (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%d")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, StartAfter=f"{prefix}{since}")
    found = [o for page in pages for o in page.get("Contents", [])]
    return {"bucket": bucket, "prefix": prefix, "days": days, "objects": sorted(found, key=lambda o: o["Key"])}


def state_versions(aws, region: str, bucket: str, key: str, newest: int = 5) -> dict:
    """The Terraform state's newest versions (seed 002 "Terraform State Backups": versioning is its backup)."""
    from .terraform import recent_versions

    return {"bucket": bucket, "key": key, "versions": recent_versions(aws.at(region), bucket, key, newest)}


def switched_off(aws, rds_region: str, dynamodb_region: str, days: int) -> list[dict]:
    """CloudTrail's record of backups turned off in the last `days` (LookupEvents keeps 90): a ModifyDBInstance to a backup
    retention of 0, an UpdateContinuousBackups that disabled point-in-time recovery. Who and when, for the rows."""
    from .cloudtrail import actor
    from .deployments import trail_events

    since = datetime.now(timezone.utc) - timedelta(days=days)
    modified, updated = at_once([lambda: trail_events(aws, since, rds_region, ("ModifyDBInstance",)),
                                 lambda: trail_events(aws, since, dynamodb_region, ("UpdateContinuousBackups",))])
    out = []
    for e in modified + updated:
        p = _lower(e.get("requestParameters") or {})
        off = (str(p.get("backupretentionperiod")) == "0" if e["eventName"] == "ModifyDBInstance"
               else str(_lower(p.get("pointintimerecoveryspecification") or {}).get("pointintimerecoveryenabled")).lower() == "false")
        if off and not e.get("errorCode"):
            out.append({"resource": p.get("dbinstanceidentifier") or p.get("tablename"), "when": datetime.fromisoformat(str(e["eventTime"]).replace("Z", "+00:00")),
                        "who": actor(e), "call": e["eventName"]})
    return sorted(out, key=lambda c: c["when"])


def _lower(d: dict) -> dict:
    return {str(k).lower(): v for k, v in d.items()} if isinstance(d, dict) else {}
