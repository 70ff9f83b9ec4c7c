"""RDS."""

from ..services import rds
from . import CRITICAL, OK, WARN, Check, check
from ..units import plural, size

# statuses that pass on their own (maintenance, backups, changes in flight)
TRANSIENT = {"backing-up", "modifying", "maintenance", "upgrading", "rebooting", "configuring-enhanced-monitoring",
             "configuring-log-exports", "renaming", "resetting-master-credentials", "storage-optimization", "starting"}


@check("rds_instance_available")
def instance_available(aws, db_instance: str) -> Check:
    return available(rds.describe_instance(aws, db_instance))


def available(inst: dict) -> Check:
    """Of a description already fetched."""
    db_instance, status = inst["DBInstanceIdentifier"], inst["DBInstanceStatus"]
    level = OK if status == "available" else WARN if status in TRANSIENT else CRITICAL
    return Check(
        "rds_instance_available", level, db_instance, status, "available",
        f"RDS instance {db_instance} ({inst.get('Engine')} {inst.get('DBInstanceClass')}) is {status}.",
    )


def snapshots_old(snapshots: list[dict], days: int, scope: str = "manual RDS snapshots") -> Check:
    """Manual snapshots older than `days`: kept by hand, billed until someone deletes them."""
    from datetime import datetime, timedelta, timezone

    cutoff = datetime.now(timezone.utc) - timedelta(days=days)
    old = sorted((s for s in snapshots if s["SnapshotCreateTime"] < cutoff), key=lambda s: s["SnapshotCreateTime"])
    gib = sum(s.get("AllocatedStorage", 0) for s in old)
    names = ", ".join(f"{s['DBSnapshotIdentifier']} ({s['SnapshotCreateTime']:%Y-%m-%d})" for s in old[:8])
    return Check("rds_snapshots_old", WARN if old else OK, scope, len(old), f"none older than {days} days",
                 f"{len(old)} of {plural(len(snapshots), 'manual snapshot')} older than {plural(days, 'day')} ({size(gib * 2**30)})" + (f": {names}." if old else "."))
