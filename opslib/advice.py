"""What to run next: one copyable command line, chosen from what the checks found.

Only notebooks that exist are named; where the catalog has none yet, the seed procedure is.
"""

import shlex

from .checks import CRITICAL, ERROR, WARN


def command(notebook: str, incident: str = "", **params) -> str:
    """`opslib run NOTEBOOK --incident ID -p name=value ...`, quoted for a shell."""
    parts = ["opslib", "run", notebook] + (["--incident", incident] if incident else [])
    for name, value in params.items():
        text = str(value).lower() if isinstance(value, bool) else str(value)
        parts += ["-p", f"{name}={text}"]
    return " ".join(shlex.quote(p) for p in parts)


def _bad(report, *ids) -> bool:
    return any(c.id in ids and c.status in (CRITICAL, ERROR, WARN) for c in report)


def service_down(report, incident: str, outcomes: list, env: str = "sandbox") -> str:
    """After service-down: apply the planned fix, look again after one, roll back, look at the dependencies, or resolve."""
    where = {"env": env} if env != "sandbox" else {}
    planned = [o.action for o in outcomes if o.status == "planned"]
    applied = [o.action for o in outcomes if o.status == "applied"]
    if planned:
        return f"Apply what is planned above ({' and '.join(planned)}):\n  {command('service-down', incident, confirm=True, **where)}"
    if applied:
        return f"Applied {' and '.join(applied)}. Give it a minute, then look again:\n  {command('service-down', incident, **where)}"
    if _bad(report, "docker_container_running"):
        return ('The container is gone or will not stay up: roll back to the last good image (seed 000 "Quick Rollback to Previous Version"), '
                f"then look again:\n  {command('service-down', incident, **where)}")
    if _bad(report, "cloudformation_stack_status", "dynamodb_table_status", "lambda_function_state", "logs_pattern_matches"):
        return ("The host is up; a dependency is not. Read the function's errors:\n  "
                + command("log-search", incident, log_groups='["/aws/lambda/ec2-manager-function-prod"]', logs_region="us-west-2", **where))
    if _bad(report, "http_endpoint_healthy", "ec2_instance_status"):
        return f"Still not answering: wait a minute for the checks to settle, then look again:\n  {command('service-down', incident, **where)}"
    if incident:
        return f"Everything answers. If users agree, resolve:\n  {command('incident-update', incident, resolve=True, resolution='...', confirm=True, **where)}"
    return f"Nothing here is down. The whole morning check:\n  {command('daily-health-check', **where)}"
