"""Locks on what a guarded action changes: two responders cannot act on one resource at once.

One DynamoDB item per resource in the table the environment file names (`actions.table`, in the
environment's own region; the sandbox has `opslib-actions`), taken with a conditional put before applying and deleted after. The
item says who holds it, from which run, since when, for which plan; a second responder is refused
with that. A run killed while holding a lock cannot delete it: the lock expires after
`actions.lock_minutes` (default 15), and the next responder takes it.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import ActionRefused

DEFAULT_MINUTES = 15


def settings(env_data: dict) -> tuple[str, int, bool]:
    """(actions table or "" for none, minutes a lock holds, whether plans need a second person's approval)."""
    section = env_data.get("actions") or {}
    return str(section.get("table") or ""), int(section.get("lock_minutes") or DEFAULT_MINUTES), bool(section.get("approval"))


@dataclass
class Locks:
    aws: object
    table: str
    holder: str  # user@host
    run_id: str
    minutes: int = DEFAULT_MINUTES

    def acquire(self, resources: list[str], plan_id: str) -> None:
        """Every resource's lock, or none (those taken are given back) and ActionRefused naming the holder."""
        taken = []
        for resource in sorted(set(resources)):
            now = int(time.time())
            item = {"resource": {"S": resource}, "holder": {"S": self.holder}, "run_id": {"S": self.run_id}, "plan_id": {"S": plan_id},
                    "since": {"S": datetime.now(timezone.utc).isoformat(timespec="seconds")}, "expires": {"N": str(now + self.minutes * 60)}}
            try:
                self._db().put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(#r) OR #e < :now",
                                    ExpressionAttributeNames={"#r": "resource", "#e": "expires"}, ExpressionAttributeValues={":now": {"N": str(now)}})
            except self._db().exceptions.ResourceNotFoundException:
                raise ActionRefused(f"the lock table {self.table} does not exist", "create it (the environment file says how) or remove actions.table") from None
            except self._db().exceptions.ConditionalCheckFailedException:
                self.release(taken)
                held = self._db().get_item(TableName=self.table, Key={"resource": {"S": resource}}).get("Item", {})
                left = max(0, int(held.get("expires", {}).get("N", now)) - now)
                raise ActionRefused(f"{resource} is locked by {held.get('holder', {}).get('S', '?')} (run {held.get('run_id', {}).get('S', '?')}, "
                                    f"plan {held.get('plan_id', {}).get('S', '?')}) since {held.get('since', {}).get('S', '?')}; "
                                    f"the lock lapses in {left // 60} min {left % 60} s",
                                    "wait for them to finish (their run releases it), or ask them; then plan again") from None
            taken.append(resource)

    def release(self, resources: list[str]) -> None:
        """Our own locks only (a lock that lapsed and was taken by someone else stays theirs)."""
        for resource in resources:
            try:
                self._db().delete_item(TableName=self.table, Key={"resource": {"S": resource}}, ConditionExpression="run_id = :me",
                                       ExpressionAttributeValues={":me": {"S": self.run_id}})
            except self._db().exceptions.ConditionalCheckFailedException:
                pass

    def _db(self):
        return self.aws.client("dynamodb")
