"""Seed 001 "Data Corruption Incident", "Recovery Options": the audit table restored to a recovery table
from a point in time or a backup (`aws dynamodb restore-table-to-point-in-time`, `restore-table-from-backup`),
undone by deleting that copy; then the corrupt records copied back from it, undone by writing them as they were."""

from datetime import datetime, timedelta, timezone

from ..aws import at_once
from ..services import audit
from ..units import duration
from . import Action, Change


class RestoreTable(Action):
    verb = "restore-table"
    permissions = ("dynamodb:RestoreTableToPointInTime", "dynamodb:RestoreTableFromBackup", "dynamodb:DescribeTable", "dynamodb:Scan",
                   "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")  # what AWS asks of a restore
    max_resources = 1
    verify_within_s = 1800  # a large table takes many minutes

    def __init__(self, source: str, target: str, back_minutes: int = 60, restore_to: str = "", backup_arn: str = ""):
        self.source, self.target, self.back_minutes, self.restore_to, self.backup_arn = source, target, int(back_minutes), restore_to, backup_arn

    def _as_of(self) -> str:
        if self.backup_arn:
            return f"backup {self.backup_arn.rsplit('/', 1)[-1]}"
        return f"{self.restore_to} UTC" if self.restore_to else f"as it was {duration(self.back_minutes * 60)} before it is applied"

    def describe(self) -> str:
        return f"restore-table {self.source} to {self.target} ({self._as_of()})"

    def args(self) -> dict:
        return {"source": self.source, "target": self.target, "back_minutes": self.back_minutes, "restore_to": self.restore_to, "backup_arn": self.backup_arn}

    def capture(self, aws) -> dict:
        ddb = aws.client("dynamodb")
        try:
            return {"target": ddb.describe_table(TableName=self.target)["Table"]["TableStatus"]}
        except ddb.exceptions.ResourceNotFoundException:
            return {"target": None}

    def plan(self, before: dict) -> list[Change]:
        return [] if before["target"] else [Change(self.target, "table", None, f"a copy of {self.source}, {self._as_of()}")]

    def apply(self, aws, changes) -> None:
        ddb = aws.client("dynamodb")
        if self.backup_arn:
            ddb.restore_table_from_backup(TargetTableName=self.target, BackupArn=self.backup_arn)
            return
        when = datetime.fromisoformat(self.restore_to) if self.restore_to else datetime.now(timezone.utc) - timedelta(minutes=self.back_minutes)
        ddb.restore_table_to_point_in_time(SourceTableName=self.source, TargetTableName=self.target, RestoreDateTime=when)

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        return after["target"] == "ACTIVE", f"{self.target} is {after['target'] or 'not there'}"

    def undo(self, before: dict, changes) -> list["DeleteRestoredTable"]:
        return [DeleteRestoredTable(self.target)]

    @classmethod
    def when_needed(cls, bad: list, source: str, target: str, back_minutes: int, restore_to: str, backup_arn: str, asked: bool) -> list["RestoreTable"]:
        """Planned when corrupt records were found (or when asked)."""
        return [cls(source, target, back_minutes, restore_to, backup_arn)] if bad or asked else []


class DeleteRestoredTable(Action):
    """Only ever a table made by a restore (DescribeTable says so): never the live one."""

    verb = "delete-restored-table"
    permissions = ("dynamodb:DescribeTable", "dynamodb:DeleteTable")
    max_resources = 1
    verify_within_s = 300
    undo_note = "a deleted copy is restored again from its source"

    def __init__(self, table: str):
        self.table = table

    def describe(self) -> str:
        return f"delete-restored-table {self.table}"

    def args(self) -> dict:
        return {"table": self.table}

    def capture(self, aws) -> dict:
        ddb = aws.client("dynamodb")
        try:
            found = ddb.describe_table(TableName=self.table)["Table"]
        except ddb.exceptions.ResourceNotFoundException:
            return {"status": None, "restored": False, "items": 0}
        return {"status": found["TableStatus"], "restored": bool(found.get("RestoreSummary")), "items": found.get("ItemCount", 0)}

    def plan(self, before: dict) -> list[Change]:
        if not before["status"] or not before["restored"]:
            return []
        return [Change(self.table, "table", f"{before['status']} (a restored copy)", None)]

    def apply(self, aws, changes) -> None:
        aws.client("dynamodb").delete_table(TableName=self.table)


def _key(item: dict) -> dict:
    return {"id": item["id"], "timestamp": item["timestamp"]}


def _differing(table: str, state: list[dict]) -> list[Change]:
    """A change per record whose value now is not the one wanted ({"key", "now", "wanted"} each; None: no such record)."""
    show = lambda item: "(missing)" if item is None else ", ".join(f"{k}={item[k]!r}" for k in sorted(item) if k not in ("id", "timestamp"))
    return [Change(f"{table}/{i['key']['id']}@{i['key']['timestamp']}", "record", show(i["now"]), show(i["wanted"]))
            for i in state if i["wanted"] is not None and i["now"] != i["wanted"]]


class CopyItems(Action):
    """The corrupt records back as the recovery copy holds them (seed 001 names no step for it: `aws dynamodb
    batch-write-item` of what `batch-get-item` reads from the copy); undone by writing them as they were."""

    verb = "copy-items"
    permissions = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem")
    max_resources = 1000

    def __init__(self, source: str, target: str, keys: list[dict]):
        self.source, self.target, self.keys = source, target, [_key(k) for k in keys]

    def describe(self) -> str:
        return f"copy-items {len(self.keys)} records from {self.source} to {self.target}"

    def args(self) -> dict:
        return {"source": self.source, "target": self.target, "keys": self.keys}

    def capture(self, aws) -> dict:
        now, wanted = at_once([lambda: audit.get_many(aws, self.target, self.keys), lambda: audit.get_many(aws, self.source, self.keys)])
        return {"items": [{"key": key, "now": n, "wanted": w} for key, n, w in zip(self.keys, now, wanted)]}

    def plan(self, before: dict) -> list[Change]:
        return _differing(self.target, before["items"])

    def apply(self, aws, changes) -> None:
        audit.put_many(aws, self.target, [i["wanted"] for i in self.capture(aws)["items"] if i["wanted"] is not None and i["now"] != i["wanted"]])

    def undo(self, before: dict, changes) -> list["PutItems"]:
        return [PutItems(self.target, [i["now"] for i in before["items"] if i["now"] is not None and i["wanted"] is not None and i["now"] != i["wanted"]])]

    @classmethod
    def when_asked(cls, compared: dict | None, source: str, target: str, asked: bool) -> list["CopyItems"]:
        """Once the recovery copy is ACTIVE and holds the records, when asked."""
        keys = [_key(k) for k, kept in (compared or {}).get("pairs", []) if kept is not None]
        return [cls(source, target, keys)] if asked and keys else []


class PutItems(Action):
    """Records written back as they were (the undo of a copy-items)."""

    verb = "put-items"
    permissions = ("dynamodb:BatchGetItem", "dynamodb:BatchWriteItem")
    max_resources = 1000

    def __init__(self, table: str, items: list[dict]):
        self.table, self.items = table, [dict(i) for i in items]

    def describe(self) -> str:
        return f"put-items {len(self.items)} records into {self.table}"

    def args(self) -> dict:
        return {"table": self.table, "items": self.items}

    def capture(self, aws) -> dict:
        keys = [_key(i) for i in self.items]
        return {"items": [{"key": key, "now": now, "wanted": item} for key, now, item in zip(keys, audit.get_many(aws, self.table, keys), self.items)]}

    def plan(self, before: dict) -> list[Change]:
        return _differing(self.table, before["items"])

    def apply(self, aws, changes) -> None:
        audit.put_many(aws, self.table, self.items)
