"""ECS."""

from ..services import ecs
from . import CRITICAL, OK, WARN, Check, check


@check("ecs_service_tasks_running")
def service_tasks_running(aws, service: str, cluster: str) -> Check:
    """Running vs desired: degraded is WARN, nothing running is CRITICAL."""
    svc = ecs.describe_service(aws, cluster, service)
    running, desired, pending = svc["runningCount"], svc["desiredCount"], svc.get("pendingCount", 0)
    if running >= desired:
        level = OK
    elif running == 0:
        level = CRITICAL
    else:
        level = WARN
    state = "healthy" if level == OK else "down" if level == CRITICAL else "degraded"
    return Check(
        "ecs_service_tasks_running", level, service, f"{running}/{desired}", "running = desired",
        f"ECS service {service} in {cluster} runs {running} of {desired} tasks ({pending} pending): {state}.",
    )
