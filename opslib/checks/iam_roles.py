"""The role seed 002 "IAM Setup" describes: there, as its documents say, and allowed what they grant and nothing it must not."""

from ..services import iam_roles
from . import CRITICAL, OK, WARN, Check


def matches(state: dict, trust: dict, policy: dict, policy_name: str) -> Check:
    role = state["role"]
    if not state["exists"]:
        return Check("iam_role_matches", WARN, role, "absent", "as the documents say", f"{role} does not exist: the guarded setup below creates it.")
    differs = [what for what, now, want in (("its trust policy", state["trust"], trust), (f"its inline policy {policy_name}", state["policy"], policy)) if now != want]
    extra = iam_roles.beyond(state)
    if differs or extra:
        said = [f"{' and '.join(differs)} differ{'s' if len(differs) == 1 else ''} from the documents"] if differs else []
        said += [f"it also holds {', '.join(extra)}, which the documents do not name"] if extra else []
        return Check("iam_role_matches", WARN, role, ", ".join(differs + extra), "as the documents say",
                     f"{role} ({state['arn']}) exists, but {'; '.join(said)}: the guarded setup below makes it as they say"
                     + (" (removing what they do not name; undo puts it back)." if extra else "."))
    return Check("iam_role_matches", OK, role, "as documented", "as the documents say", f"{role} ({state['arn']}) is as the documents say.")


def simulated(found: dict, refused: list[str]) -> Check:
    """Everything the document grants is allowed; everything that must not be is denied (IAM's simulator decides)."""
    if not found["arn"]:
        return Check("iam_role_simulated", WARN, found["role"], "no role", "granted allowed, the rest denied", f"{found['role']} does not exist yet: nothing to simulate.")
    decisions = found["decisions"]
    not_allowed = sorted(f"{a} on {r}" for (a, r), d in decisions.items() if a not in refused and d != "allowed")
    let_through = sorted(a for (a, r), d in decisions.items() if a in refused and d == "allowed")
    granted = sum(1 for (a, _) in decisions if a not in refused)
    if let_through or not_allowed:
        by = sorted({pid for a in let_through for pid in (found.get("by") or {}).get(a, [])})
        return Check("iam_role_simulated", CRITICAL, found["role"], len(let_through) + len(not_allowed), "granted allowed, the rest denied",
                     f"{found['arn']}: " + " ".join(
                         ([f"allowed though it must not be: {', '.join(let_through)}" + (f" (granted by policy {', '.join(by)})." if by else ".")] if let_through else [])
                         + ([f"Not allowed though the document grants it: {', '.join(not_allowed[:8])}{' ...' if len(not_allowed) > 8 else ''}."] if not_allowed else [])))
    return Check("iam_role_simulated", OK, found["role"], granted, "granted allowed, the rest denied",
                 f"{found['arn']}: IAM's simulator allows all {granted} actions the document grants and denies the {len(refused)} it must not ({', '.join(refused)}).")
