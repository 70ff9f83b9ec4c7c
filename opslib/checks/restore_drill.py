"""What a restore drill starts from (seed 003 "Backup and Recovery Testing")."""

from datetime import datetime, timezone

from ..units import duration
from . import CRITICAL, OK, Check


def source(snapshot: dict | None, db: str) -> Check:
    if snapshot is None:
        return Check("restore_drill_source", CRITICAL, db, "none", "an automated snapshot",
                     f"{db} has no automated snapshot: nothing to restore. Why: opslib run backup-verification")
    age = (datetime.now(timezone.utc) - snapshot["SnapshotCreateTime"]).total_seconds()
    return Check("restore_drill_source", OK, db, snapshot["DBSnapshotIdentifier"], "an automated snapshot",
                 f"{db}: the newest automated snapshot is {snapshot['DBSnapshotIdentifier']}, taken {duration(age)} ago "
                 f"({snapshot.get('AllocatedStorage', '?')} GiB, {snapshot.get('Engine', '?')} {snapshot.get('EngineVersion', '')}).")
