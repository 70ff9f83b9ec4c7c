"""Seed 002 "IAM Setup": the role from its documents (create-role, put-role-policy; what else it holds, which they do
not name, taken off), and its undo, which removes what the setup made, puts back what it took off, and nothing else."""

from ..services import iam_roles
from . import Action, Change


def _said(doc: dict | None) -> str | None:
    if doc is None:
        return None
    n = len(iam_roles.statements(doc))
    actions = sum(len(a) for a, _ in iam_roles.statements(doc))
    return f"{n} statement{'s' if n != 1 else ''}, {actions} action{'s' if actions != 1 else ''}"


NONE = {"inline": {}, "managed": []}


class SetupRole(Action):
    """The role trusting `trust` with one inline policy `policy_name` = `policy` (None: no such policy; `trust` None: no role)
    and, besides it, `others` (inline documents by name, managed policies' ARNs): by default nothing else."""

    verb = "setup-role"
    permissions = ("iam:GetRole", "iam:GetRolePolicy", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:CreateRole", "iam:UpdateAssumeRolePolicy",
                   "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:DeleteRole")
    max_resources = 12

    def __init__(self, role: str, trust: dict | None, policy_name: str, policy: dict | None, others: dict | None = None):
        self.role, self.trust, self.policy_name, self.policy, self.others = role, trust, policy_name, policy, others or NONE

    def describe(self) -> str:
        return f"setup-role {self.role}" if self.trust is not None else f"remove-role {self.role}"

    def args(self) -> dict:
        return {"role": self.role, "trust": self.trust, "policy_name": self.policy_name, "policy": self.policy, "others": self.others}

    def capture(self, aws) -> dict:
        return iam_roles.role_state(aws, self.role, self.policy_name)

    def plan(self, before: dict) -> list[Change]:
        changes = []
        if self.trust is None:  # the role goes: its policy first
            if before["policy"] is not None:
                changes.append(Change(f"{self.role}/{self.policy_name}", "inline policy", _said(before["policy"]), None))
            if before["exists"]:
                changes.append(Change(self.role, "role", before["arn"], None))
            return changes
        if not before["exists"]:
            changes.append(Change(self.role, "role", None, "created, trusting its trust policy"))
        elif before["trust"] != self.trust:
            changes.append(Change(self.role, "trust policy", "other than the document", "the document"))
        if before["policy"] != self.policy:
            changes.append(Change(f"{self.role}/{self.policy_name}", "inline policy", _said(before["policy"]), _said(self.policy)))
        have, want = before.get("others") or NONE, self.others
        for name in sorted(set(have["inline"]) | set(want["inline"])):
            if have["inline"].get(name) != want["inline"].get(name):
                changes.append(Change(f"{self.role}/{name}", "other inline policy", _said(have["inline"].get(name)), _said(want["inline"].get(name))))
        for arn in sorted(set(have["managed"]) ^ set(want["managed"])):
            changes.append(Change(f"{self.role}/{arn}", "managed policy", "attached" if arn in have["managed"] else None, "attached" if arn in want["managed"] else None))
        return changes

    def apply(self, aws, changes) -> None:
        import json

        iam = aws.client("iam")
        for c in changes:
            if c.attribute == "inline policy" and c.after is None:
                iam.delete_role_policy(RoleName=self.role, PolicyName=self.policy_name)
            elif c.attribute == "role" and c.after is None:
                iam.delete_role(RoleName=self.role)  # refused by IAM if anything else was attached since: nothing else is removed
            elif c.attribute == "role":
                iam.create_role(RoleName=self.role, AssumeRolePolicyDocument=json.dumps(self.trust), Description="seed 002 IAM Setup (opslib iam-role-setup)")
            elif c.attribute == "trust policy":
                iam.update_assume_role_policy(RoleName=self.role, PolicyDocument=json.dumps(self.trust))
            elif c.attribute == "inline policy":
                iam.put_role_policy(RoleName=self.role, PolicyName=self.policy_name, PolicyDocument=json.dumps(self.policy))
            elif c.attribute == "other inline policy":
                name = c.resource.split("/", 1)[1]
                if c.after is None:
                    iam.delete_role_policy(RoleName=self.role, PolicyName=name)
                else:
                    iam.put_role_policy(RoleName=self.role, PolicyName=name, PolicyDocument=json.dumps(self.others["inline"][name]))
            elif c.attribute == "managed policy":
                arn = c.resource.split("/", 1)[1]
                (iam.detach_role_policy if c.after is None else iam.attach_role_policy)(RoleName=self.role, PolicyArn=arn)

    def undo(self, before: dict, changes) -> list["SetupRole"]:
        """What was there before: no role (delete the policy and role it made), or the documents the role had and what else it held."""
        if not changes:
            return []
        if not before["exists"]:
            return [SetupRole(self.role, None, self.policy_name, None)]
        return [SetupRole(self.role, before["trust"], self.policy_name, before["policy"], before.get("others"))]
