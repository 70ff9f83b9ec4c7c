"""A restore drill's steps against AWS (seed 003 "Backup and Recovery Testing", seed 004 DR drill): restore to a test
resource, watch it come up, compare it with the live one, delete it. Test resources carry the tag `opslib:restore-drill`,
and only a resource with it is ever deleted."""

import time
from datetime import datetime, timezone

from ..aws import at_once

TAG = "opslib:restore-drill"


def latest_snapshot(aws, db: str) -> dict | None:
    """The newest available automated snapshot of `db` (seed 003: `describe-db-snapshots --snapshot-type automated`)."""
    pages = aws.client("rds").get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=db, SnapshotType="automated")
    found = [s for page in pages for s in page["DBSnapshots"] if s.get("Status") == "available"]
    return max(found, key=lambda s: s["SnapshotCreateTime"]) if found else None


def instance(aws, db: str) -> dict | None:
    rds = aws.client("rds")
    try:
        (found,) = rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"]
    except rds.exceptions.DBInstanceNotFoundFault:
        return None
    return found


def is_drill(aws, found: dict | None) -> bool:
    tags = aws.client("rds").list_tags_for_resource(ResourceName=found["DBInstanceArn"])["TagList"] if found else []
    return any(t["Key"] == TAG for t in tags)


def restore_db(aws, snapshot: str, target: str, db_class: str, run_id: str) -> None:
    """Seed 003: `aws rds restore-db-instance-from-db-snapshot --db-instance-identifier rms-db-restore-test --db-snapshot-identifier ...
    --db-instance-class db.t3.micro`, tagged as the drill's."""
    aws.client("rds").restore_db_instance_from_db_snapshot(DBInstanceIdentifier=target, DBSnapshotIdentifier=snapshot, DBInstanceClass=db_class,
                                                           PubliclyAccessible=False, Tags=[{"Key": TAG, "Value": run_id}])


def watch(aws, target: str, deadline_s: float, step_s: float = 2.0) -> list[tuple[str, str]]:
    """The instance's states until `available` (or the deadline): [(UTC time, status)] as each was first seen."""
    seen, end = [], time.monotonic() + deadline_s
    while time.monotonic() < end:
        found = instance(aws, target)
        status = found["DBInstanceStatus"] if found else "absent"
        if not seen or seen[-1][1] != status:
            seen.append((datetime.now(timezone.utc).strftime("%H:%M:%S"), status))
        if status in ("available", "failed", "incompatible-restore"):
            break
        time.sleep(step_s)
    return seen


def delete_db(aws, target: str) -> bool:
    """Only the drill's own instance (its tag says so), without a final snapshot: True when deleted."""
    found = instance(aws, target)
    if found is None or not is_drill(aws, found):
        return False
    aws.client("rds").delete_db_instance(DBInstanceIdentifier=target, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)
    return True


def sql_compare(source: dict, target: dict, credentials: dict, sample: int) -> dict:
    """Row counts of every table in both databases and `sample` rows of each (by primary key order) compared: what the copy
    holds against the live one now. Rows written since the snapshot make the live one larger; that is not a fault."""
    import psycopg

    def connect(found):
        return psycopg.connect(host=found["Endpoint"]["Address"], port=found["Endpoint"]["Port"], dbname=found.get("DBName") or credentials.get("dbname"),
                               user=credentials["username"], password=credentials["password"], connect_timeout=10, autocommit=True)

    def read(found):
        with connect(found) as conn:
            tables = [t for (t,) in conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")]
            counts = {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
            rows = {t: [tuple(map(str, r)) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY 1 LIMIT {int(sample)}')] for t in tables}
        return counts, rows

    (live_counts, live_rows), (copy_counts, copy_rows) = at_once([lambda: read(source), lambda: read(target)])
    return {"live": live_counts, "copy": copy_counts, "sampled": {t: len(copy_rows.get(t, [])) for t in copy_counts},
            "differing": {t: sum(1 for r in copy_rows.get(t, []) if r not in set(live_rows.get(t, []))) for t in copy_counts}}


def latest_table_source(aws, table: str) -> dict:
    """What a table restore would start from: point-in-time recovery's latest restorable time, else the newest backup."""
    ddb = aws.client("dynamodb")
    pitr, backups = at_once([lambda: ddb.describe_continuous_backups(TableName=table)["ContinuousBackupsDescription"].get("PointInTimeRecoveryDescription", {}),
                             lambda: ddb.list_backups(TableName=table)["BackupSummaries"]])
    if pitr.get("PointInTimeRecoveryStatus") == "ENABLED":
        return {"kind": "point in time", "at": pitr["LatestRestorableDateTime"], "backup_arn": ""}
    newest = max(backups, key=lambda b: b["BackupCreationDateTime"]) if backups else None
    return {"kind": "backup", "at": newest["BackupCreationDateTime"], "backup_arn": newest["BackupArn"]} if newest else {"kind": "none", "at": None, "backup_arn": ""}


def restore_table(aws, table: str, target: str, source: dict, run_id: str) -> None:
    ddb = aws.client("dynamodb")
    if source["backup_arn"]:
        ddb.restore_table_from_backup(TargetTableName=target, BackupArn=source["backup_arn"])
    else:
        ddb.restore_table_to_point_in_time(SourceTableName=table, TargetTableName=target, UseLatestRestorableTime=True)
    arn = ddb.describe_table(TableName=target)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": TAG, "Value": run_id}])


def watch_table(aws, target: str, deadline_s: float, step_s: float = 1.0) -> list[tuple[str, str]]:
    ddb, seen, end = aws.client("dynamodb"), [], time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            status = ddb.describe_table(TableName=target)["Table"]["TableStatus"]
        except ddb.exceptions.ResourceNotFoundException:
            status = "absent"
        if not seen or seen[-1][1] != status:
            seen.append((datetime.now(timezone.utc).strftime("%H:%M:%S"), status))
        if status == "ACTIVE":
            break
        time.sleep(step_s)
    return seen


def items_compare(aws, table: str, target: str, sample: int) -> dict:
    """Item counts of both (a COUNT scan) and `sample` items of the copy read back from the live table by key."""
    ddb = aws.client("dynamodb")

    def count(name):
        return sum(p["Count"] for p in ddb.get_paginator("scan").paginate(TableName=name, Select="COUNT"))

    keys = [k["AttributeName"] for k in ddb.describe_table(TableName=table)["Table"]["KeySchema"]]
    live, copied, page = *at_once([lambda: count(table), lambda: count(target)]), ddb.scan(TableName=target, Limit=sample).get("Items", [])
    differing = 0
    for i in range(0, len(page), 100):
        chunk = page[i:i + 100]
        got = ddb.batch_get_item(RequestItems={table: {"Keys": [{k: item[k] for k in keys} for item in chunk]}})["Responses"].get(table, [])
        differing += sum(1 for item in chunk if item not in got)
    return {"live": {table: live}, "copy": {table: copied}, "sampled": {table: len(page)}, "differing": {table: differing}}


def delete_table(aws, target: str) -> bool:
    """Only the drill's own table (its tag, and DescribeTable's RestoreSummary, say so)."""
    ddb = aws.client("dynamodb")
    try:
        found = ddb.describe_table(TableName=target)["Table"]
    except ddb.exceptions.ResourceNotFoundException:
        return False
    tags = ddb.list_tags_of_resource(ResourceArn=found["TableArn"]).get("Tags", [])
    if not (found.get("RestoreSummary") and any(t["Key"] == TAG for t in tags)):
        return False
    ddb.delete_table(TableName=target)
    return True
