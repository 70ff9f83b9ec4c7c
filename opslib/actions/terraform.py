"""Terraform's S3 backend: release a stale state lock (seed 002 Scenario 5)."""

from datetime import datetime, timezone

from ..services import terraform
from . import Action, Change


def _holder(info: dict) -> str:
    return f"held by {info.get('who') or '?'} ({info.get('operation') or '?'}) since {info.get('created') or '?'}"


class ReleaseLock(Action):
    """`aws dynamodb delete-item --table-name TABLE --key '{"LockID": {"S": "<bucket>/<key>"}}'`, only of the lock read
    (a condition on its Info: a lock taken again since is never deleted) and only once older than `min_age_minutes`.
    Undo puts the same lock back while nobody else holds one."""

    verb = "release-lock"
    permissions = ("dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:PutItem")
    max_resources = 5

    def __init__(self, table: str, lock_id: str, min_age_minutes: int):
        self.table, self.lock_id, self.min_age_minutes = table, lock_id, int(min_age_minutes)
        self.read: str | None = None

    def describe(self) -> str:
        return f"release-lock {self.lock_id} in {self.table}"

    def args(self) -> dict:
        return {"table": self.table, "lock_id": self.lock_id, "min_age_minutes": self.min_age_minutes}

    def capture(self, aws) -> dict:
        item = aws.client("dynamodb").get_item(TableName=self.table, Key={"LockID": {"S": self.lock_id}}, ConsistentRead=True).get("Item")
        raw = item["Info"]["S"] if item and "Info" in item else None
        self.read = raw  # what apply deletes: this lock and no later one
        return {**(terraform.lock_info(raw) if raw else {}), "raw": raw}

    def plan(self, before: dict) -> list[Change]:
        from ..checks.terraform import created

        taken = created(before) if before.get("raw") else None
        if taken is None or (datetime.now(timezone.utc) - taken).total_seconds() < self.min_age_minutes * 60:
            return []  # no lock, one not Terraform's, or one younger than the floor: never released
        return [Change(self.lock_id, "lock", _holder(before), None)]

    def apply(self, aws, changes) -> None:
        aws.client("dynamodb").delete_item(TableName=self.table, Key={"LockID": {"S": self.lock_id}}, ConditionExpression="Info = :read",
                                           ExpressionAttributeValues={":read": {"S": self.read}})

    def undo(self, before: dict, changes) -> list["TakeLock"]:
        return [TakeLock(self.table, self.lock_id, before["raw"])] if changes and before.get("raw") else []

    @classmethod
    def stale(cls, found: dict | None, minutes: int) -> list["ReleaseLock"]:
        """One release per lock held longer than `minutes` with no state write since; none otherwise."""
        from ..checks.terraform import stale

        return [cls(found["table"], lock["lock_id"], minutes) for lock in stale(found, minutes)]


class TakeLock(Action):
    """Put a released lock back as it was (the undo of release-lock), only while no lock is held."""

    verb = "take-lock"
    permissions = ("dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem")

    def __init__(self, table: str, lock_id: str, info: str):
        self.table, self.lock_id, self.info = table, lock_id, info

    def describe(self) -> str:
        return f"take-lock {self.lock_id} in {self.table}"

    def args(self) -> dict:
        return {"table": self.table, "lock_id": self.lock_id, "info": self.info}

    def capture(self, aws) -> dict:
        item = aws.client("dynamodb").get_item(TableName=self.table, Key={"LockID": {"S": self.lock_id}}, ConsistentRead=True).get("Item")
        return {"info": item["Info"]["S"] if item and "Info" in item else None}

    def plan(self, before: dict) -> list[Change]:
        return [] if before["info"] == self.info else [Change(self.lock_id, "lock", before["info"] and "held by someone else", _holder(terraform.lock_info(self.info)))]

    def apply(self, aws, changes) -> None:
        aws.client("dynamodb").put_item(TableName=self.table, Item={"LockID": {"S": self.lock_id}, "Info": {"S": self.info}},
                                        ConditionExpression="attribute_not_exists(LockID)")

    def undo(self, before: dict, changes) -> list[ReleaseLock]:
        return [ReleaseLock(self.table, self.lock_id, 0)] if changes else []


class RestoreStateVersion(Action):
    """Seed 002 "Terraform State Backups": make an earlier version of the state current again by copying it over the key
    (a new version: nothing is deleted), under Terraform's own lock, with the checksum Terraform keeps set to the copy's.
    Refused while anyone holds the lock. Undo copies back the version that was current."""

    verb = "restore-state"
    permissions = ("s3:ListBucketVersions", "s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "dynamodb:Scan", "dynamodb:PutItem", "dynamodb:DeleteItem",
                   "sts:GetCallerIdentity")  # the last: who takes the lock, as AWS names them (no policy can deny it)
    max_resources = 1

    def __init__(self, table: str, bucket: str, key: str, version: str):
        self.table, self.bucket, self.key, self.version = table, bucket, key, version

    def describe(self) -> str:
        return f"restore-state s3://{self.bucket}/{self.key} to version {self.version}"

    def args(self) -> dict:
        return {"table": self.table, "bucket": self.bucket, "key": self.key, "version": self.version}

    def capture(self, aws) -> dict:
        from ..aws import at_once

        history, found = at_once([lambda: terraform.state_history(aws, self.bucket, self.key, 1), lambda: terraform.locks(aws, self.table)])
        chosen = aws.client("s3").get_object(Bucket=self.bucket, Key=self.key, VersionId=self.version)
        current = history[0] if history else {}
        held = next((lock for lock in found["locks"] if lock["lock_id"] == f"{self.bucket}/{self.key}"), None)
        return {"current": current.get("version"), "current_etag": current.get("etag"), "current_serial": current.get("serial"),
                "chosen_etag": chosen["ETag"].strip('"'), "chosen_serial": terraform.parse_state(chosen["Body"].read())["serial"], "digest": found["digests"].get(f"{self.bucket}/{self.key}"),
                "lock": _holder(held) if held else None}

    def plan(self, before: dict) -> list[Change]:
        if before["current_etag"] == before["chosen_etag"] and before["digest"] in (None, before["chosen_etag"]):
            return []  # that content is current already
        return [Change(f"s3://{self.bucket}/{self.key}", "current version", f"{before['current']} (serial {before['current_serial']})",
                       f"a copy of {self.version} (serial {before['chosen_serial']})")]

    def blocked(self, before: dict) -> str:
        return f"the state's lock is {before['lock']}: a restore now would race that run (opslib run terraform-state-lock shows whose)" if before["lock"] else ""

    def apply(self, aws, changes) -> None:
        from ..aws import caller

        terraform.restore_version(aws, self.table, self.bucket, self.key, self.version, caller(aws))

    def verify(self, aws, before: dict, after: dict) -> tuple[bool, str]:
        ok = after["current_etag"] == before["chosen_etag"] and after["digest"] in (None, before["chosen_etag"])
        return ok, (f"current version {after['current']} holds {self.version}'s content (MD5 {after['current_etag']}), checksum kept alike" if ok
                    else f"current version {after['current']} (MD5 {after['current_etag']}) is not {self.version}'s")

    def undo(self, before: dict, changes) -> list["RestoreStateVersion"]:
        return [RestoreStateVersion(self.table, self.bucket, self.key, before["current"])] if changes and before.get("current") else []

    @classmethod
    def asked(cls, table: str, bucket: str, key: str, version: str) -> list["RestoreStateVersion"]:
        """The restore asked for by version id; none when none was asked."""
        return [cls(table, bucket, key, version.strip())] if version.strip() else []
