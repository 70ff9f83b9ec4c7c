"""CloudFormation."""

from . import CRITICAL, OK, WARN, Check


def stack_status(stack: dict) -> Check:
    """Seed 001 "Complete System Outage" step 2: the stack is in a *_COMPLETE state, not failed or half-way."""
    name, status = stack["StackName"], stack["StackStatus"]
    if status.endswith("FAILED") or status in ("ROLLBACK_COMPLETE", "DELETE_COMPLETE"):
        level, hint = CRITICAL, " The last deployment failed: its events say which resource (`aws cloudformation describe-stack-events`)."
    elif status.endswith("IN_PROGRESS") or status == "UPDATE_ROLLBACK_COMPLETE":
        level, hint = WARN, " A change is rolling (or was rolled back): what changed may be the cause."
    else:
        level, hint = OK, ""
    return Check("cloudformation_stack_status", level, name, status, "*_COMPLETE", f"Stack {name} is {status}.{hint}")


def release(stack: str, state: dict | None, found: list[dict] | None, source: str) -> Check:
    """Which of the pipeline's releases the stack runs, and the one before it (what `rollback.sh prod previous` goes back to)."""
    from datetime import datetime, timezone

    from ..services.cloudformation import running_release
    from ..units import duration

    def ago(when) -> str:
        return f"{duration((now - when).total_seconds())} ago"

    now = datetime.now(timezone.utc)
    current, previous = running_release(state, found)
    if current is None:
        return Check("cloudformation_release", WARN, stack, "unknown", "a release of the pipeline",
                     f"{stack} runs a template and parameters that are none of the last {len(found or [])} releases in {source}: changed by hand, "
                     "or released another way. Name the release to go back to with -p to_release=...")
    before = f"; the release before it: {previous['release']} ({ago(previous['when'])})" if previous else "; no release before it is kept"
    return Check("cloudformation_release", OK, stack, current["release"], "a release of the pipeline",
                 f"{stack} runs release {current['release']} (released {ago(current['when'])}){before}.")
