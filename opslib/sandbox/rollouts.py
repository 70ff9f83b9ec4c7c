"""ECS services that take time, as ECS does (moto makes running equal desired the moment a service
is updated, and runs no task for it).

A new deployment (a new task definition, or `--force-new-deployment`) starts its tasks one step
at a time and stops one of the old deployment's for each that comes up; a change of desired count
moves one task a step. A step takes `pace()` seconds (`OPSLIB_SANDBOX_PACE`, default 3), so tests
run in seconds while nothing a notebook waits for is instant. Tasks whose image the sandbox's ECR
repository does not hold never start (CannotPullContainerError); after as many failures as the
deployment circuit breaker allows (half the desired count, at least 3) the deployment is FAILED
and the old deployment keeps serving. (Rollback is not modelled: moto drops a service's
deploymentConfiguration.) Running tasks are real moto tasks, so `list-tasks --service-name` and
`describe-tasks` show them.

The state lives on each moto Service as `opslib_rollout`; a scenario may cap how many tasks can
run (`opslib_capacity`: the rest crash as they start).
"""

import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone

PACE_VARIABLE = "OPSLIB_SANDBOX_PACE"


def pace() -> float:
    try:
        return max(0.05, float(os.environ.get(PACE_VARIABLE) or 3))
    except ValueError:
        return 3.0


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Rollout:
    new: dict  # the PRIMARY deployment, as describe-services lists it
    old: dict | None  # the deployment being replaced (ACTIVE), if any
    from_new: int  # tasks the new deployment ran when this began (a scale keeps its deployment)
    from_old: int  # tasks the old deployment ran when this began
    started: datetime
    pull_error: str = ""  # why the new tasks cannot start
    deploying: bool = True  # a new deployment; False: a change of desired count within the primary one
    slowness: float = 1.0  # steps of this rollout take this many paces (a large image, a long health-check grace)


def start(backend, service, old: dict | None, old_running: int, new_deployment: bool) -> None:
    """After moto applied an update: begin the deployment (or the scale) from what ran before."""
    now = _now()
    primary = dict(service.deployments[0]) if service.deployments else {}
    if new_deployment:
        from moto.moto_api._internal import mock_random

        primary.update(id=f"ecs-svc/{mock_random.randint(0, 32**12)}", createdAt=now,
                       taskDefinition=service.task_definition, status="PRIMARY", failedTasks=0)
        old = dict(old or {}, status="ACTIVE") if old else None
        from_new, from_old = 0, old_running
    else:
        from_new, from_old, old = old_running, 0, None
    primary.update(desiredCount=service.desired_count, updatedAt=now)
    if not new_deployment:
        primary.update(rolloutState=primary.get("rolloutState") or "COMPLETED", rolloutStateReason=primary.get("rolloutStateReason", ""))
    service.opslib_rollout = Rollout(primary, old, from_new, from_old, now, _pull_error(backend, service.task_definition) if new_deployment else "",
                                     new_deployment)
    advance(backend, service, now)


def hold(backend, service, capacity: int) -> None:
    """A scenario's fault: at most `capacity` tasks stay up; the rest crash as they start."""
    service.opslib_capacity = capacity
    if getattr(service, "opslib_rollout", None) is None:
        primary = dict(service.deployments[0]) if service.deployments else {}
        service.opslib_rollout = Rollout(primary, None, service.running_count, 0, _now(), deploying=False)
    advance(backend, service)


def slow(backend, service, factor: float) -> None:
    """A scenario's deployment whose tasks take `factor` times the pace to come up."""
    r = getattr(service, "opslib_rollout", None)
    if r is not None:
        r.slowness = factor
        advance(backend, service)


def age(backend, service, steps: int) -> None:
    """A scenario's deployment that began `steps` steps ago (its circuit breaker may have tripped)."""
    from datetime import timedelta

    r = getattr(service, "opslib_rollout", None)
    if r is not None:
        r.started -= timedelta(seconds=steps * pace() * r.slowness)
        advance(backend, service)


def advance(backend, service, now: datetime | None = None) -> None:
    """Bring the service, its deployments and its tasks to where they are by now."""
    r = getattr(service, "opslib_rollout", None)
    if r is None:
        return
    now = now or _now()
    steps = int((now - r.started).total_seconds() / (pace() * r.slowness))
    desired, cap = service.desired_count, getattr(service, "opslib_capacity", None)
    room = desired if cap is None else min(desired, cap)
    failed = 0
    if r.pull_error:
        new_running, failed = 0, steps
    elif r.from_new <= desired:
        attempted = r.from_new + steps
        new_running = min(desired, attempted, room)
        failed = max(0, attempted - room) if cap is not None and r.deploying else 0  # each start past capacity crashes
    else:  # scaling in
        new_running = min(max(desired, r.from_new - steps), room)
    old_running = max(0, min(r.from_old - new_running, room - new_running)) if r.old else 0
    threshold = min(max(math.ceil(desired / 2), 3), 200)
    if not r.deploying:
        state = "COMPLETED"
    elif failed >= threshold:
        state = "FAILED"
    elif new_running >= desired and not old_running:
        state = "COMPLETED"
    else:
        state = "IN_PROGRESS"
    pending = min(1, desired - new_running) if state == "IN_PROGRESS" else (desired - new_running if not r.deploying else 0)
    r.new.update(runningCount=new_running, pendingCount=pending, failedTasks=failed, rolloutState=state, updatedAt=now,
                 **({"rolloutStateReason": _reason(r, state)} if r.deploying else {}))
    deployments = [r.new] + ([dict(r.old, runningCount=old_running, pendingCount=0)] if r.old and (old_running or state != "COMPLETED") else [])
    service.deployments = deployments
    service.running_count = new_running + old_running
    service.pending_count = r.new["pendingCount"]
    _sync_tasks(backend, service, {r.new["id"]: (r.new["taskDefinition"], new_running),
                                   **({r.old["id"]: (r.old["taskDefinition"], old_running)} if r.old else {})})
    if new_running == desired and state == "COMPLETED" and cap is None:
        service.opslib_rollout = None


def advance_all(backend, now: datetime | None = None) -> None:
    for service in list(backend.services.values()):
        advance(backend, service, now)


def settle_all(backend) -> None:
    """Every service steady at once: the seeded world starts where a live one would be."""
    for service in list(backend.services.values()):
        service.opslib_rollout = None
        service.running_count, service.pending_count = service.desired_count, 0
        if service.deployments:
            service.deployments = [dict(service.deployments[0], runningCount=service.desired_count, pendingCount=0, rolloutState="COMPLETED",
                                        desiredCount=service.desired_count, taskDefinition=service.task_definition,
                                        rolloutStateReason=f"ECS deployment {service.deployments[0]['id']} completed.")]
            _sync_tasks(backend, service, {service.deployments[0]["id"]: (service.task_definition, service.desired_count)})


def _reason(r: Rollout, state: str) -> str:
    did = r.new.get("id", "")
    if state == "FAILED":
        why = f" ({r.pull_error})" if r.pull_error else ""
        return f"ECS deployment circuit breaker: tasks failed to start{why}."
    return f"ECS deployment {did} completed." if state == "COMPLETED" else f"ECS deployment {did} in progress."


def _pull_error(backend, task_definition: str) -> str:
    """CannotPullContainerError when the image is in one of the sandbox's ECR repositories' names
    but that repository holds no such tag; images from elsewhere are taken to exist."""
    try:
        image = backend.describe_task_definition(task_definition).container_definitions[0]["image"]
    except Exception:
        return ""
    host, _, rest = image.partition("/")
    if ".dkr.ecr." not in host or ":" not in rest:
        return ""
    repo, tag = rest.rsplit(":", 1)
    account, region = host.split(".")[0], host.split(".")[3]
    from moto.backends import get_backend

    try:
        repository = get_backend("ecr")[account][region].repositories.get(repo)
    except Exception:
        return ""
    if repository is None:
        return ""
    tags = {t for image_obj in repository.images for t in image_obj.image_tags}
    return "" if tag in tags else f"CannotPullContainerError: {image} not found"


def _sync_tasks(backend, service, wanted: dict) -> None:
    """Exactly `count` running tasks per deployment id; the rest stopped, as ECS replaces them."""
    cluster = backend._get_cluster(service.cluster_name)
    tasks = backend.tasks.setdefault(cluster.name, {})
    group = f"service:{service.name}"
    mine = [t for t in tasks.values() if t.group == group and t.desired_status == "RUNNING"]
    for deployment_id, (task_definition, count) in wanted.items():
        running = [t for t in mine if t.started_by == deployment_id]
        for task in running[count:]:
            _stop(task, "Scaling activity initiated by (deployment " + deployment_id + ")")
        for _ in range(count - len(running)):
            _start(backend, cluster, service, task_definition, deployment_id, tasks)
    for task in mine:
        if task.started_by not in wanted:
            _stop(task, "Scaling activity initiated by (deployment replaced)")


def _start(backend, cluster, service, task_definition: str, deployment_id: str, tasks: dict) -> None:
    import copy

    from moto.ecs.models import Task

    definition = copy.copy(backend.describe_task_definition(task_definition))
    definition.network_mode = "bridge"  # no ENI per task: the sandbox's network stays as seeded
    task = Task(cluster=cluster, task_definition=definition, container_instance_arn=None,
                resource_requirements=None, backend=backend, group=f"service:{service.name}", launch_type="FARGATE",
                started_by=deployment_id, networking_configuration=None)
    task._transitions = [("RUNNING", "RUNNING")]  # moto advances tasks on every describe; ours run until stopped
    tasks[task.task_arn] = task


def _stop(task, reason: str) -> None:
    task.desired_status = "STOPPED"
    task._transitions = [("STOPPED", "STOPPED")]
    task.last_status = "STOPPED"
    task.stopped_reason = reason
