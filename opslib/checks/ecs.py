"""ECS."""

from ..services import ecs
from . import CRITICAL, OK, WARN, Check, check


@check("ecs_service_tasks_running")
def service_tasks_running(aws, service: str, cluster: str) -> Check:
    """Seed 003's morning check: fewer running than desired is DEGRADED (a failure), unless a
    deployment is rolling, when tasks are expected to come and go (a warning that says so)."""
    svc = ecs.describe_service(aws, cluster, service)
    running, desired, pending = svc["runningCount"], svc["desiredCount"], svc.get("pendingCount", 0)
    rolling = [d for d in svc.get("deployments", []) if d.get("rolloutState") == "IN_PROGRESS"]
    if desired == 0:
        level, state = CRITICAL, "scaled to 0 tasks, nothing serves (seed 003 \"Scale ECS Service\": `aws ecs update-service --desired-count N`)"
    elif running >= desired:
        level, state = OK, "healthy"
    elif running == 0:
        level, state = CRITICAL, "down"
    elif rolling:
        level, state = WARN, f"a deployment is rolling ({rolling[0].get('taskDefinition', '').rsplit('/', 1)[-1]}), tasks may come and go until it completes"
    else:
        level, state = CRITICAL, "degraded, and no deployment is rolling"
    return Check(
        "ecs_service_tasks_running", level, service, f"{running}/{desired}", "running = desired (below it only while a deployment rolls)",
        f"ECS service {service} in {cluster} runs {running} of {desired} tasks ({pending} pending): {state}.",
    )
