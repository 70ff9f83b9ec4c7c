"""An IAM role as seed 002 "IAM Setup" makes it: its trust policy and one inline policy, and what IAM's simulator
says the role may and may not do."""

import json
from urllib.parse import unquote

from ..aws import at_once


def policy_json(value) -> dict | None:
    """A policy document as IAM returns it: a dict, or URL-encoded JSON text (None: none, or not JSON)."""
    if isinstance(value, dict):
        return value
    try:
        return json.loads(unquote(value)) if value else None
    except ValueError:
        return None


def role_state(aws, role: str, policy_name: str) -> dict:
    """`aws iam get-role`, `list-role-policies` + `get-role-policy` and `list-attached-role-policies`: the role's ARN and
    trust, the inline policy's document (None: absent), and what else it holds (`others`: inline documents by name,
    managed policies' ARNs), which its documents do not name."""
    iam = aws.client("iam")
    try:
        got = iam.get_role(RoleName=role)["Role"]
    except iam.exceptions.NoSuchEntityException:
        return {"role": role, "exists": False, "arn": None, "trust": None, "policy": None, "others": {"inline": {}, "managed": []}}

    def inline() -> dict:
        names = [n for page in iam.get_paginator("list_role_policies").paginate(RoleName=role) for n in page["PolicyNames"]]
        docs = at_once([lambda n=n: policy_json(iam.get_role_policy(RoleName=role, PolicyName=n)["PolicyDocument"]) for n in names])
        return dict(zip(names, docs))

    def managed() -> list[str]:
        return sorted(p["PolicyArn"] for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=role) for p in page["AttachedPolicies"])

    docs, attached = at_once([inline, managed])
    policy = docs.pop(policy_name, None)
    return {"role": role, "exists": True, "arn": got["Arn"], "trust": policy_json(got["AssumeRolePolicyDocument"]), "policy": policy,
            "others": {"inline": docs, "managed": attached}}


def beyond(state: dict) -> list[str]:
    """What the role holds that its documents do not name, as a person reads it."""
    others = state.get("others") or {}
    return [f"inline policy {n}" for n in sorted(others.get("inline") or {})] + [f"managed policy {a}" for a in others.get("managed") or []]


def statements(doc: dict) -> list[tuple[list[str], list[str]]]:
    """(actions, resources) of each Allow statement."""
    def listed(v):
        return v if isinstance(v, list) else [v]
    return [(listed(s["Action"]), listed(s.get("Resource", "*"))) for s in listed(doc.get("Statement", [])) if s.get("Effect") == "Allow" and "Action" in s]


def simulate_role(aws, role: str, policy: dict, refused: list[str]) -> dict:
    """The role's ARN (`aws iam get-role --query 'Role.Arn'`, seed 002's "save this!") and IAM's decisions for it: each
    statement's actions on its first resource, and `refused` on `*`, with the policies that allowed each (`by`). No role
    yet: nothing to simulate."""
    iam = aws.client("iam")
    try:
        arn = iam.get_role(RoleName=role)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        return {"role": role, "arn": None, "decisions": {}, "by": {}}
    results = simulate(aws, arn, [(a, r[0]) for a, r in statements(policy)], refused)
    return {"role": role, "arn": arn, "decisions": {(r["EvalActionName"], r.get("EvalResourceName", "*")): r["EvalDecision"] for r in results},
            "by": {r["EvalActionName"]: sorted({m["SourcePolicyId"] for m in r.get("MatchedStatements") or [] if m.get("SourcePolicyId")})
                   for r in results if r["EvalDecision"] == "allowed"}}


def simulate(aws, arn: str, granted: list, refused: list[str]) -> list[dict]:
    """`aws iam simulate-principal-policy` for what the document grants (each statement's actions on its first resource)
    and for `refused` (on `*`): IAM's EvaluationResults. One call per statement, at once."""
    iam = aws.client("iam")
    calls = [(actions, resource) for actions, resource in granted] + ([(refused, "*")] if refused else [])

    def one(actions, resource):
        pages = iam.get_paginator("simulate_principal_policy").paginate(PolicySourceArn=arn, ActionNames=actions, ResourceArns=[resource])
        return [r for page in pages for r in page["EvaluationResults"]]

    return [r for results in at_once([lambda a=a, r=r: one(a, r) for a, r in calls]) for r in results]


def document(path: str) -> dict:
    """A policy document from a JSON file, relative to the project (parameters/iam/...) or absolute; bad input names the fix."""
    from pathlib import Path

    from ..errors import BadInput
    from ..paths import project_root

    where = Path(path) if Path(path).is_absolute() else project_root() / path
    try:
        doc = json.loads(where.read_text())
    except OSError:
        raise BadInput(f"no policy document at {path}", "give the path of a JSON policy document (e.g. parameters/iam/autostack-terraform-policy.json)") from None
    except ValueError as exc:
        raise BadInput(f"{path} is not JSON ({exc})", "fix the document, or give another") from None
    if not isinstance(doc, dict) or "Statement" not in doc:
        raise BadInput(f"{path} is not a policy document (no Statement)", "give an IAM policy document: {\"Version\": ..., \"Statement\": [...]}")
    return doc
