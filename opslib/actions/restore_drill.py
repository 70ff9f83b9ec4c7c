"""Restore drills (seed 003 "Backup and Recovery Testing", seed 004 DR drill: RTO 1 hour): one guarded action each for the
database and the table, which restores to a test resource, watches it come up, compares it with the live one, and deletes
it again, the deletion in a `finally`, so it runs whatever the comparison found. Nothing is left to undo."""

import time

from ..checks import CRITICAL, ERROR, OK, WARN, Check
from ..errors import BadInput
from ..services import restore_drill
from ..units import duration
from . import Action, Change


def _compared(found: dict | None, what: str, error: str = "") -> Check:
    """Counts and the sample, as a check row: a table missing or empty in the copy, or sampled rows unlike the live ones, is a finding."""
    if found is None:
        return Check("restore_drill_compared", ERROR, what, "not compared", "the copy holds what the live one did", f"{what}: not compared ({error}).")
    missing = [t for t in found["live"] if t not in found["copy"]]
    empty = [t for t, n in found["copy"].items() if n == 0 and found["live"].get(t)]
    differing = {t: n for t, n in found["differing"].items() if n}
    counts = ", ".join(f"{t} {found['copy'][t]} of {found['live'].get(t, '?')}" for t in found["copy"])
    sampled = sum(found["sampled"].values())
    if missing or empty:
        return Check("restore_drill_compared", CRITICAL, what, ", ".join(missing + empty), "every table there, none emptied",
                     f"{what}: the copy lacks {', '.join(missing + empty)} (rows in the copy against the live one: {counts}).")
    status = WARN if differing else OK
    return Check("restore_drill_compared", status, what, counts, "every table there, the sample as live",
                 f"{what}: rows in the copy against the live one now: {counts}; {sampled} sampled rows, "
                 + (f"{sum(differing.values())} unlike the live ones ({', '.join(differing)}): changed since the backup, or not restored faithfully." if differing
                    else "each as the live one holds it."))


class _Drill(Action):
    needs_approval = True
    undo_note = "it deleted its own test resources and changed nothing else"

    def __init__(self, rto_minutes: int, sample: int, run_id: str = ""):
        self.rto_minutes, self.sample, self.run_id = int(rto_minutes), int(sample), run_id
        self.rows: list[Check] = []
        self.read: dict = {}  # what capture read last: the plan apply carries out (execute captures just before it applies)

    verify_within_s = 30  # verify reads what apply recorded: the drill itself waits (up to the RTO)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        bad = [r for r in self.rows if r.status != OK]
        return (not bad and bool(self.rows), "restored, compared and deleted" if not bad and self.rows else "; ".join(r.sentence for r in bad) or "no drill ran")

    def results(self) -> list[Check]:
        return self.rows

    def _timed(self, what: str, seen: list, started: float) -> None:
        took = time.monotonic() - started
        came_up = seen and seen[-1][1] in ("available", "ACTIVE")
        states = " -> ".join(f"{s} ({t})" for t, s in seen)
        self.rows.append(Check("restore_drill_rto", OK if came_up and took <= self.rto_minutes * 60 else CRITICAL, what, duration(took), f"within the RTO of {self.rto_minutes} min",
                               f"{what}: {states}; restored in {duration(took)}" + (f", within seed 004's RTO of {self.rto_minutes} minutes." if came_up and took <= self.rto_minutes * 60
                                                                                    else f": {'not available' if not came_up else 'beyond'} the RTO of {self.rto_minutes} minutes.")))


class DatabaseDrill(_Drill):
    """Seed 003: `restore-db-instance-from-db-snapshot --db-instance-identifier rms-db-restore-test --db-snapshot-identifier <latest>
    --db-instance-class db.t3.micro`, watched through `creating` to `available`, compared table by table with the live database,
    then `delete-db-instance --skip-final-snapshot` of the test instance (only one carrying the drill's tag)."""

    verb = "restore-drill-db"
    permissions = ("rds:DescribeDBSnapshots", "rds:DescribeDBInstances", "rds:RestoreDBInstanceFromDBSnapshot", "rds:AddTagsToResource",
                   "rds:ListTagsForResource", "rds:DeleteDBInstance", "secretsmanager:GetSecretValue")
    max_resources = 1

    def __init__(self, source: str, target: str, db_class: str, secret: str, rto_minutes: int, sample: int, run_id: str = ""):
        if target == source:
            raise BadInput(f"the test instance {target} is the live one", "give the drill its own name (seed 003: rms-db-restore-test)")
        super().__init__(rto_minutes, sample, run_id)
        self.source, self.target, self.db_class, self.secret = source, target, db_class, secret

    def describe(self) -> str:
        return f"restore-drill-db {self.source} to {self.target}"

    def args(self) -> dict:
        return {"source": self.source, "target": self.target, "db_class": self.db_class, "secret": self.secret, "rto_minutes": self.rto_minutes, "sample": self.sample}

    def capture(self, aws) -> dict:
        snap, target = restore_drill.latest_snapshot(aws, self.source), restore_drill.instance(aws, self.target)
        self.read = {"snapshot": snap["DBSnapshotIdentifier"] if snap else None, "target": target}  # what apply restores: the plan's snapshot
        return {"snapshot": snap["DBSnapshotIdentifier"] if snap else None, "taken": str(snap["SnapshotCreateTime"]) if snap else None,
                "target": target["DBInstanceStatus"] if target else None, "target_is_drill": restore_drill.is_drill(aws, target)}

    def plan(self, before: dict) -> list[Change]:
        if not before["snapshot"]:
            return []
        return [Change(self.target, "test instance", before["target"],
                       f"restored from {before['snapshot']} (taken {before['taken'][:16]}), compared with {self.source}, then deleted")]

    def blocked(self, before: dict) -> str:
        if before["target"] and not before["target_is_drill"]:
            return f"{self.target} exists and is not a drill's test instance: the drill never touches it (give another -p db_target=)"
        return ""

    def apply(self, aws, changes) -> None:
        from ..services import secretsmanager

        before = self.read
        started = time.monotonic()
        try:
            if before["target"] is None:
                restore_drill.restore_db(aws, before["snapshot"], self.target, self.db_class, self.run_id)
            seen = restore_drill.watch(aws, self.target, self.rto_minutes * 60)
            self._timed(f"{self.target} from {before['snapshot']}", seen, started)
            if seen and seen[-1][1] == "available":
                try:
                    found = restore_drill.sql_compare(restore_drill.instance(aws, self.source), restore_drill.instance(aws, self.target),
                                                      secretsmanager.credentials(aws, self.secret), self.sample)
                    self.rows.append(_compared(found, f"{self.target} against {self.source}"))
                except Exception as exc:  # the comparison's fault is a row: the clean-up still runs
                    self.rows.append(_compared(None, f"{self.target} against {self.source}", f"{type(exc).__name__}: {str(exc)[:200]}"))
        finally:
            gone = restore_drill.delete_db(aws, self.target)
            self.rows.append(Check("restore_drill_cleaned", OK if gone else CRITICAL, self.target, "deleted" if gone else "left", "deleted",
                                   f"{self.target}: deleted (delete-db-instance --skip-final-snapshot)." if gone
                                   else f"{self.target} was not deleted: delete it by hand (`aws rds delete-db-instance --db-instance-identifier {self.target} --skip-final-snapshot`)."))


class TableDrill(_Drill):
    """Seed 001 "Test backup restoration": the table restored (point in time, latest; else the newest backup) to a test table,
    watched to ACTIVE, its items counted and sampled against the live table, then deleted (only a restored table carrying the drill's tag)."""

    verb = "restore-drill-table"
    permissions = ("dynamodb:DescribeContinuousBackups", "dynamodb:ListBackups", "dynamodb:RestoreTableToPointInTime", "dynamodb:RestoreTableFromBackup",
                   "dynamodb:DescribeTable", "dynamodb:TagResource", "dynamodb:ListTagsOfResource", "dynamodb:Scan", "dynamodb:BatchGetItem",
                   "dynamodb:DeleteTable", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                   "dynamodb:BatchWriteItem")
    max_resources = 1

    def __init__(self, source: str, target: str, rto_minutes: int, sample: int, run_id: str = "", region: str = ""):
        if target == source:
            raise BadInput(f"the test table {target} is the live one", "give the drill its own name (seed 001: ec2-manager-audit-test)")
        super().__init__(rto_minutes, sample, run_id)
        self.source, self.target, self.region = source, target, region

    def describe(self) -> str:
        return f"restore-drill-table {self.source} to {self.target}"

    def args(self) -> dict:
        return {"source": self.source, "target": self.target, "rto_minutes": self.rto_minutes, "sample": self.sample, "region": self.region}

    def capture(self, aws) -> dict:
        ddb = aws.client("dynamodb")
        try:
            target = ddb.describe_table(TableName=self.target)["Table"]["TableStatus"]
        except ddb.exceptions.ResourceNotFoundException:
            target = None
        src = self.read = restore_drill.latest_table_source(aws, self.source)  # what apply restores from
        return {"from": src["kind"], "backup_arn": src["backup_arn"], "target": target}

    def plan(self, before: dict) -> list[Change]:
        if before["from"] == "none":
            return []
        return [Change(self.target, "test table", before["target"], f"restored from {self.source} ({before['from']}), compared, then deleted")]

    def blocked(self, before: dict) -> str:
        return f"{self.target} exists: the drill never touches a table it did not make (give another -p table_target=)" if before["target"] else ""

    def apply(self, aws, changes) -> None:
        started, source = time.monotonic(), self.read
        try:
            restore_drill.restore_table(aws, self.source, self.target, source, self.run_id)
            seen = restore_drill.watch_table(aws, self.target, self.rto_minutes * 60)
            self._timed(f"{self.target} from {self.source} ({source['kind']})", seen, started)
            if seen and seen[-1][1] == "ACTIVE":
                try:
                    self.rows.append(_compared(restore_drill.items_compare(aws, self.source, self.target, self.sample), f"{self.target} against {self.source}"))
                except Exception as exc:
                    self.rows.append(_compared(None, f"{self.target} against {self.source}", f"{type(exc).__name__}: {str(exc)[:200]}"))
        finally:
            gone = restore_drill.delete_table(aws, self.target)
            self.rows.append(Check("restore_drill_cleaned", OK if gone else CRITICAL, self.target, "deleted" if gone else "left", "deleted",
                                   f"{self.target}: deleted." if gone else f"{self.target} was not deleted: `aws dynamodb delete-table --table-name {self.target}`."))
