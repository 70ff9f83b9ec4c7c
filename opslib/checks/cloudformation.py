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
