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
        back = ecs.remembered_count(aws, cluster, service)
        count = f"it ran {back[0]} before ({back[1]}): `opslib run scale-service -p cluster={cluster} -p service={service} -p desired_count={back[0]}`" if back else \
            f"nothing says what it ran before: `opslib run scale-service -p cluster={cluster} -p service={service} -p desired_count=` with the count it needs"
        level, state = CRITICAL, f"scaled to 0 tasks, nothing serves; {count}"
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


def deployment_state(svc: dict) -> Check:
    """Seed 002 "Scenario 1": is the newest deployment stuck or failed, and what still serves."""
    deployments = svc.get("deployments", [])
    new = next((d for d in deployments if d.get("status") == "PRIMARY"), deployments[0] if deployments else {})
    old = [d for d in deployments if d is not new]
    revision = new.get("taskDefinition", "").rsplit("/", 1)[-1]
    serving = "; " + ", ".join(f"{d['taskDefinition'].rsplit('/', 1)[-1]} " + (f"still serves {d['runningCount']} of {svc['desiredCount']}" if d.get("runningCount")
                                                                              else "no longer serves (0 running)") for d in old) if old else ""
    state = new.get("rolloutState", "COMPLETED")
    level = {"FAILED": CRITICAL, "IN_PROGRESS": WARN}.get(state, OK)
    why = f": {new['rolloutStateReason'].rstrip('.')}" if level != OK and new.get("rolloutStateReason") else ""
    return Check("ecs_deployment_state", level, svc["serviceName"], f"{revision} {state}", "COMPLETED",
                 f"Deployment of {revision} is {state} ({new.get('runningCount', 0)} of {new.get('desiredCount', svc['desiredCount'])} running, "
                 f"{new.get('failedTasks', 0)} failed to start){why}{serving}.")


def task_failures(rows: list[dict], service: str, log: list[str] | None = None) -> Check:
    """Seed 002 "Scenario 1" step 1's `kubectl logs`: the tasks that stopped failing, why, and the
    last line the newest one printed (`log`, when it ran at all)."""
    bad = ecs.failed(rows)
    if not bad:
        return Check("ecs_task_failures", OK, service, 0, "none", f"No task of {service} failed lately.")
    newest = bad[0]
    code = f", exit code {newest['exit_code']}" if newest["exit_code"] is not None else ""
    return Check("ecs_task_failures", CRITICAL, service, len(bad), "none",
                 f"{len(bad)} tasks of {service} failed lately, the newest ({newest['revision']}): {newest['reason']}{code}"
                 + (f" ({newest['container_reason']})" if newest["container_reason"] else "") + (f"; its log ends: {log[-1].strip()}" if log else "") + ".")
