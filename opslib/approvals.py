"""A second person's approval of a plan, when the environment file asks for it (`actions.approval`).

The dry run records the plan as requested (who, which action, what it changes) in the environment's
actions table, where every responder's machine sees it; `opslib approve PLAN-ID` records who
approved it and when; applying looks for an approver who is not the requester and spends the
approval: one approval, one apply (the same plan id planned again later is requested afresh). The
requester can never approve their own plan. People are who AWS says they are: the ARN sts:GetCallerIdentity gives for
the credentials each uses (opslib.aws.caller), never $USER.
"""

from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import BadInput

PREFIX = "plan:"


def _key(plan_id: str) -> dict:
    return {"resource": {"S": PREFIX + plan_id}}


def request(aws, table: str, plan_id: str, requester: str, notebook: str, action: str, changes: list[str]) -> None:
    """The plan as reviewed, once (a second dry run of the same plan keeps the first requester)."""
    db = aws.client("dynamodb")
    item = {**_key(plan_id), "requester": {"S": requester}, "notebook": {"S": notebook}, "action": {"S": action}, "changes": {"S": "\n".join(changes)[:4000]},
            "requested": {"S": datetime.now(timezone.utc).isoformat(timespec="seconds")}}
    try:  # a plan whose approval was used (applied, then undone, now planned again) is requested afresh
        db.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(#r) OR attribute_exists(#u)",
                    ExpressionAttributeNames={"#r": "resource", "#u": "used_by"})
    except db.exceptions.ConditionalCheckFailedException:
        pass


def find(aws, table: str, plan_id: str) -> dict:
    item = aws.client("dynamodb").get_item(TableName=table, Key=_key(plan_id), ConsistentRead=True).get("Item")
    return {k: v.get("S", "") for k, v in item.items()} if item else {}


def approve(aws, table: str, plan_id: str, approver: str) -> dict:
    """Record the approval; bad input when there is no such plan, or the approver requested it."""
    found = find(aws, table, plan_id)
    if not found:
        raise BadInput(f"no plan {plan_id} was requested in {table}", "run the notebook's dry run first; it prints the plan id")
    if found["requester"] == approver:
        raise BadInput(f"{approver} requested {plan_id} and cannot approve it", "ask a second person to run `opslib approve` for it")
    if found.get("approver"):
        return found
    aws.client("dynamodb").update_item(TableName=table, Key=_key(plan_id), UpdateExpression="SET approver = :a, approved = :t",
                                       ExpressionAttributeValues={":a": {"S": approver}, ":t": {"S": datetime.now(timezone.utc).isoformat(timespec="seconds")}})
    return find(aws, table, plan_id)


@dataclass
class Approvals:
    """What a guard asks: record the plan under review, and who (other than its requester) approved it."""

    aws: object
    table: str
    me: str  # the ARN AWS gives for whoever runs this
    notebook: str  # the notebook that plans, so the approver's answer says what to run

    def request(self, plan_id: str, action: str, changes: list[str]) -> None:
        request(self.aws, self.table, plan_id, self.me, self.notebook, action, changes)

    def standing(self, plan_id: str) -> tuple[str, str]:
        """(who approved the plan, not its requester; the run that spent the approval, "" while unused)."""
        found = find(self.aws, self.table, plan_id)
        approver = found.get("approver", "") if found.get("approver") != found.get("requester") else ""
        return approver, found.get("used_by", "")

    def use(self, plan_id: str, run: str) -> bool:
        """Spend the approval on this apply, once (a conditional write: two applies of one approval, one wins)."""
        db = self.aws.client("dynamodb")
        try:
            db.update_item(TableName=self.table, Key=_key(plan_id), UpdateExpression="SET used_by = :r, used = :t",
                           ConditionExpression="attribute_exists(approver) AND attribute_not_exists(used_by)",
                           ExpressionAttributeValues={":r": {"S": run}, ":t": {"S": datetime.now(timezone.utc).isoformat(timespec="seconds")}})
        except db.exceptions.ConditionalCheckFailedException:
            return False
        return True
