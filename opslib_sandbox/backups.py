"""RDS automated backups as AWS keeps them (moto takes one at creation and none after): a snapshot a day in the
instance's backup window while its retention period is above 0, each kept that many days; setting the period to 0
deletes them, as AWS does, and ends point-in-time restore (no LatestRestorableTime); setting it above 0 again takes
one at once. Seed 003 names the daily ones `rms-db-prod-YYYYMMDD` and restores from them: they are these.

The world catches up whenever it is read (describe-db-snapshots, automated backups, a restore), so a sandbox left
running over a night has the night's snapshot, and `opslib sandbox elapse` moves through windows too."""

from datetime import datetime, timedelta, timezone

WINDOW_HOUR = 3  # 03:00 UTC: when seed 003's daily snapshots are taken


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def catch_up(backend, now: datetime | None = None) -> None:
    now = now or datetime.now(timezone.utc)
    for db in list(backend.databases.values()):
        keep = int(db.backup_retention_period or 0)
        name = db.db_instance_identifier
        autos = [s for s in backend.database_snapshots.values() if s.snapshot_type == "automated" and s.database.db_instance_identifier == name]
        if keep == 0:
            for snap in autos:
                backend.database_snapshots.pop(snap.db_snapshot_identifier, None)
            db.opslib_backups_since = None
            continue
        since = getattr(db, "opslib_backups_since", None)
        if since is None:  # a new instance (or backups just turned on): AWS's first backup is the one taken now
            since = db.opslib_backups_since = now
            if not autos:
                snap = backend.create_auto_snapshot(name, f"{name}-{now:%Y%m%d}")
                snap.created = snap.original_snapshot_create_time = now
        for days_ago in range(keep, -1, -1):
            taken = (now - timedelta(days=days_ago)).replace(hour=WINDOW_HOUR, minute=0, second=0, microsecond=0)
            if since <= taken <= now and taken > now - timedelta(days=keep):
                snapshot_id = f"{name}-{taken:%Y%m%d}"
                if snapshot_id not in backend.database_snapshots:
                    snap = backend.create_auto_snapshot(name, snapshot_id)
                    snap.created = snap.original_snapshot_create_time = taken
        for snap in autos:
            if _aware(snap.created) < now - timedelta(days=keep):
                backend.database_snapshots.pop(snap.db_snapshot_identifier, None)


def backdate(backend, days: int, now: datetime | None = None) -> None:
    """The seeded instances have kept backups for `days` (they were not made a second ago): moto's creation snapshot goes,
    the daily ones of the retention period come."""
    now = now or datetime.now(timezone.utc)
    for db in backend.databases.values():
        if int(db.backup_retention_period or 0):
            for snap in [s for s in backend.database_snapshots.values() if s.snapshot_type == "automated" and s.database.db_instance_identifier == db.db_instance_identifier]:
                backend.database_snapshots.pop(snap.db_snapshot_identifier, None)
            db.opslib_backups_since = now - timedelta(days=days)
    catch_up(backend, now)


def apply() -> None:
    from moto.rds.models import DBInstance, RDSBackend

    if getattr(RDSBackend, "opslib_backups", False):
        return
    describe, automated, restore, modify = (RDSBackend.describe_db_snapshots, RDSBackend.describe_db_instance_automated_backups,
                                            RDSBackend.restore_db_instance_from_db_snapshot, RDSBackend.modify_db_instance)

    def describe_db_snapshots(self, *args, **kwargs):
        catch_up(self)
        return describe(self, *args, **kwargs)

    def describe_db_instance_automated_backups(self, *args, **kwargs):
        catch_up(self)
        return automated(self, *args, **kwargs)

    def restore_db_instance_from_db_snapshot(self, *args, **kwargs):
        catch_up(self)
        return restore(self, *args, **kwargs)

    def modify_db_instance(self, db_instance_identifier, db_kwargs):
        was = int(self.databases[db_instance_identifier].backup_retention_period or 0) if db_instance_identifier in self.databases else 0
        db = modify(self, db_instance_identifier, db_kwargs)
        now = int(db.backup_retention_period or 0)
        if was == 0 and now > 0:
            db.opslib_backups_since = None  # on again: one now, then one a day
        catch_up(self)
        return db

    def latest_restorable_time(self):
        return (datetime.now(timezone.utc) - timedelta(minutes=5)).replace(tzinfo=None) if int(self.backup_retention_period or 0) else None

    RDSBackend.describe_db_snapshots = describe_db_snapshots
    RDSBackend.describe_db_instance_automated_backups = describe_db_instance_automated_backups
    RDSBackend.restore_db_instance_from_db_snapshot = restore_db_instance_from_db_snapshot
    RDSBackend.modify_db_instance = modify_db_instance
    DBInstance.latest_restorable_time = property(latest_restorable_time)
    RDSBackend.opslib_backups = True
