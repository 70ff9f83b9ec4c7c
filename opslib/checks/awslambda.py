"""Lambda."""

from . import CRITICAL, OK, WARN, Check


def function_active(config: dict) -> Check:
    """Seed 001 "Complete System Outage" step 4, short of invoking it: the function is Active and its last update succeeded."""
    name, state, update = config["FunctionName"], config.get("State", "Active"), config.get("LastUpdateStatus", "Successful")
    level = OK if (state, update) == ("Active", "Successful") else WARN if state == "Pending" or update == "InProgress" else CRITICAL
    why = config.get("StateReason") or config.get("LastUpdateStatusReason")
    reason = f" ({why})" if level != OK and why else ""
    return Check("lambda_function_state", level, name, f"{state}, last update {update}", "Active, Successful",
                 f"Function {name} is {state}; its last update {update.lower()}{reason}.")
